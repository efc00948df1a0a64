//! A small element tree over quick-xml events, each element knowing its path so that
//! every error can say where it is (`Document/BkToCstmrStmt/Stmt[1]/Ntry[3]/Amt`).
//!
//! Statements are at most a few megabytes, so a tree is simpler than streaming and costs
//! little. Only local names are kept: camt.053 uses a single default namespace, checked
//! once on the root.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::Camt053Error;

/// Elements that repeat in a statement: their path shows the 1-based position.
const REPEATABLE: &[&str] = &[
    "Stmt", "Bal", "Ntry", "NtryDtls", "TxDtls", "Ustrd", "Strd", "AddtlInf",
];

/// Guards the recursion-free builder against absurd nesting (camt.053 nests ~12 deep).
const MAX_DEPTH: usize = 64;

#[derive(Debug)]
pub(crate) struct Node {
    pub name: String,
    pub path: String,
    attrs: Vec<(String, String)>,
    text: String,
    children: Vec<Node>,
}

impl Node {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn attrs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.attrs.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The text content, trimmed.
    pub fn text(&self) -> &str {
        self.text.trim()
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Follows a `/`-separated path of first children.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('/')
            .try_fold(self, |node, name| node.child(name))
    }

    /// The trimmed text at `path`, absent when the element is missing or empty.
    pub fn text_at(&self, path: &str) -> Option<&str> {
        self.at(path).map(Node::text).filter(|t| !t.is_empty())
    }

    pub fn required(&self, path: &str) -> Result<&Node, Camt053Error> {
        self.at(path).ok_or_else(|| Camt053Error::Missing {
            path: format!("{}/{path}", self.path),
        })
    }

    pub fn required_text(&self, path: &str) -> Result<&str, Camt053Error> {
        let node = self.required(path)?;
        match node.text() {
            "" => Err(Camt053Error::Invalid {
                path: node.path.clone(),
                problem: "is empty".into(),
            }),
            text => Ok(text),
        }
    }

    pub fn invalid(&self, problem: impl Into<String>) -> Camt053Error {
        Camt053Error::Invalid {
            path: self.path.clone(),
            problem: problem.into(),
        }
    }
}

/// Parses `xml` into its root element.
pub(crate) fn parse(xml: &str) -> Result<Node, Camt053Error> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        let position = reader.buffer_position();
        let malformed = |message: String| Camt053Error::Malformed { position, message };
        let event = reader.read_event().map_err(|e| malformed(e.to_string()))?;
        if matches!(event, Event::Start(_) | Event::Empty(_)) && stack.is_empty() && root.is_some()
        {
            return Err(malformed("a second root element".into()));
        }
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(malformed(format!(
                        "elements nested deeper than {MAX_DEPTH}"
                    )));
                }
                stack.push(open(&start, stack.last(), &malformed)?);
            }
            Event::Empty(start) => {
                let node = open(&start, stack.last(), &malformed)?;
                attach(&mut stack, &mut root, node);
            }
            Event::End(_) => {
                let node = stack
                    .pop()
                    .ok_or_else(|| malformed("unbalanced end tag".into()))?;
                attach(&mut stack, &mut root, node);
            }
            Event::Text(text) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&text.xml10_content());
                }
            }
            Event::CData(data) => {
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&data);
                }
            }
            Event::GeneralRef(reference) => {
                let name: &str = &reference;
                let resolved = quick_xml::escape::unescape(&format!("&{name};"))
                    .map_err(|_| malformed(format!("unknown entity &{name};")))?
                    .into_owned();
                if let Some(node) = stack.last_mut() {
                    node.text.push_str(&resolved);
                }
            }
            // A bank statement has no business declaring entities; refusing the DTD keeps
            // entity tricks out entirely.
            Event::DocType(_) => return Err(malformed("a DOCTYPE is not allowed".into())),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(Camt053Error::Malformed {
            position: reader.buffer_position(),
            message: "the document ends inside an element".into(),
        });
    }
    root.ok_or(Camt053Error::Malformed {
        position: 0,
        message: "no root element".into(),
    })
}

fn open(
    start: &BytesStart<'_>,
    parent: Option<&Node>,
    malformed: &impl Fn(String) -> Camt053Error,
) -> Result<Node, Camt053Error> {
    let name = start.local_name().as_ref().to_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| malformed(e.to_string()))?;
        let key = attr.key.as_ref().to_owned();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| malformed(e.to_string()))?
            .into_owned();
        attrs.push((key, value));
    }
    let path = match parent {
        None => name.clone(),
        Some(parent) if REPEATABLE.contains(&name.as_str()) => {
            let index = parent.children(&name).count() + 1;
            format!("{}/{name}[{index}]", parent.path)
        }
        Some(parent) => format!("{}/{name}", parent.path),
    };
    Ok(Node {
        name,
        path,
        attrs,
        text: String::new(),
        children: Vec::new(),
    })
}

fn attach(stack: &mut [Node], root: &mut Option<Node>, node: Node) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(node),
        None => *root = Some(node),
    }
}
