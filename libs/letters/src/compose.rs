//! From the input and its template to the letter's content, before any layout: which
//! blocks, in which order, with every placeholder filled.

use crate::templates::{self, FillError, Sections, Source, Wording};
use crate::{Channel, LetterError, LetterInput, format_amount, format_date};

/// A letter's content, in reading order.
pub(crate) struct Letter {
    pub sender: Vec<String>,
    /// How it is sent ("Recommandé n° …"), above the recipient.
    pub channel: String,
    /// The recipient's name, then the address lines.
    pub recipient: Vec<String>,
    pub date_line: String,
    pub references: Vec<(String, String)>,
    pub subject_label: String,
    pub subject: String,
    pub blocks: Vec<Block>,
    /// The footer's left part; the page number `n/N` is added by the layout.
    pub footer: String,
}

pub(crate) enum Block {
    Heading(String),
    Paragraph(String),
    Bullet(String),
    /// Label and value rows (the facts).
    Pairs(Vec<(String, String)>),
    Figures {
        description: String,
        amount: String,
        rows: Vec<FigureRow>,
    },
    /// The greeting and the signature, kept on one page.
    Signature {
        greeting: String,
        lines: Vec<String>,
    },
}

pub(crate) struct FigureRow {
    pub label: String,
    pub amount: String,
    pub explanation: String,
}

/// The two parts of a letter's wording and the values their placeholders take.
struct Context<'a> {
    input: &'a LetterInput,
    common: Sections,
    kind: Sections,
    values: Vec<(&'static str, Option<String>)>,
}

/// The letter `input` asks for, worded as `source` (a released wording of its kind and
/// language).
pub(crate) fn compose(input: &LetterInput, source: &Source) -> Result<Letter, LetterError> {
    let cx = Context::new(input, source)?;
    Ok(Letter {
        sender: cx.common.lines("sender"),
        channel: cx.channel()?,
        recipient: recipient(input),
        date_line: cx.fill(&cx.common.line("date_line"))?,
        references: cx.references(),
        subject_label: cx.common.line("subject"),
        subject: cx.fill(&cx.kind.line("subject"))?,
        blocks: cx.blocks()?,
        footer: cx.fill(&cx.common.line("footer"))?,
    })
}

impl<'a> Context<'a> {
    fn new(input: &'a LetterInput, source: &Source) -> Result<Self, LetterError> {
        let Wording { common, kind } = Wording::of(source).map_err(|problem| {
            let problem = format!("{}: {problem}", source.version);
            templates::template_error(input.kind, input.language, problem)
        })?;
        Ok(Context {
            input,
            common,
            kind,
            values: values(input),
        })
    }

    /// `text` with its placeholders filled from the input.
    fn fill(&self, text: &str) -> Result<String, LetterError> {
        let values: Vec<(&'static str, Option<&str>)> = self
            .values
            .iter()
            .map(|(name, value)| (*name, value.as_deref()))
            .collect();
        templates::fill(text, &values).map_err(|e| match e {
            FillError::Missing(field) => LetterError::MissingField {
                kind: self.input.kind,
                field,
            },
            FillError::Unknown(name) => templates::template_error(
                self.input.kind,
                self.input.language,
                format!("unknown placeholder {{{name}}}"),
            ),
        })
    }

    fn fill_all(&self, paragraphs: Vec<String>) -> Result<Vec<String>, LetterError> {
        paragraphs.iter().map(|p| self.fill(p)).collect()
    }

    /// The kind's section when it has one, else the language's common one.
    fn kind_or_common(&self, name: &str) -> Vec<String> {
        match self.kind.get(name) {
            Some(_) => self.kind.paragraphs(name),
            None => self.common.paragraphs(name),
        }
    }

    fn channel(&self) -> Result<String, LetterError> {
        let section = match self.input.channel {
            Channel::RegisteredPost { .. } => "registered",
            Channel::Post => "post",
            Channel::EBox => "ebox",
            Channel::Email => "email",
        };
        self.fill(&self.common.line(section))
    }

    /// Our reference, then the dossier number — or, before there is one, the application's.
    fn references(&self) -> Vec<(String, String)> {
        let input = self.input;
        let number = if input.dossier_number.trim().is_empty() {
            (
                self.common.line("application_number"),
                input.reference.clone(),
            )
        } else {
            (
                self.common.line("dossier_number"),
                input.dossier_number.clone(),
            )
        };
        vec![
            (self.common.line("our_reference"), input.reference.clone()),
            number,
        ]
    }

    fn blocks(&self) -> Result<Vec<Block>, LetterError> {
        let mut blocks = Vec::new();
        let salutation = self.common.paragraphs("salutation");
        blocks.extend(salutation.into_iter().map(Block::Paragraph));
        let body = self.fill_all(self.kind.paragraphs("body"))?;
        blocks.extend(body.into_iter().map(Block::Paragraph));
        self.facts(&mut blocks);
        self.reasons(&mut blocks);
        self.figures(&mut blocks);
        self.payment_and_deadline(&mut blocks)?;
        let signing = self.fill_all(self.kind.paragraphs("signing"))?;
        blocks.extend(signing.into_iter().map(Block::Paragraph));
        self.legal_and_recourse(&mut blocks)?;
        let mut closing = self.fill_all(self.common.paragraphs("closing"))?;
        // The greeting stays on the signature's page.
        let greeting = closing.pop().unwrap_or_default();
        blocks.extend(closing.into_iter().map(Block::Paragraph));
        blocks.push(Block::Signature {
            greeting,
            lines: self.common.lines("signature"),
        });
        Ok(blocks)
    }

    fn facts(&self, blocks: &mut Vec<Block>) {
        if self.input.facts.is_empty() {
            return;
        }
        blocks.push(Block::Heading(self.common.line("facts")));
        let rows = self.input.facts.iter();
        blocks.push(Block::Pairs(
            rows.map(|f| (f.label.clone(), f.value.clone())).collect(),
        ));
    }

    fn reasons(&self, blocks: &mut Vec<Block>) {
        if self.input.reasons.is_empty() {
            return;
        }
        blocks.push(Block::Heading(self.kind_or_common("reasons").join(" ")));
        blocks.extend(self.input.reasons.iter().cloned().map(Block::Bullet));
    }

    fn figures(&self, blocks: &mut Vec<Block>) {
        if self.input.figures.is_empty() {
            return;
        }
        let language = self.input.language;
        blocks.push(Block::Heading(self.kind_or_common("figures").join(" ")));
        let rows = self.input.figures.iter().map(|figure| FigureRow {
            label: figure.label.clone(),
            amount: format_amount(figure.amount, language),
            explanation: figure.explanation.clone(),
        });
        blocks.push(Block::Figures {
            description: self.common.line("description"),
            amount: self.common.line("amount"),
            rows: rows.collect(),
        });
    }

    fn payment_and_deadline(&self, blocks: &mut Vec<Block>) -> Result<(), LetterError> {
        if self.input.payment_reference.is_some() {
            blocks.push(Block::Heading(self.common.line("payment_heading")));
            let text = self.fill_all(self.kind_or_common("payment"))?;
            blocks.extend(text.into_iter().map(Block::Paragraph));
        }
        if self.input.respond_by.is_some() {
            blocks.push(Block::Heading(self.common.line("deadline_heading")));
            let text = self.fill_all(self.kind_or_common("deadline"))?;
            blocks.extend(text.into_iter().map(Block::Paragraph));
        }
        Ok(())
    }

    fn legal_and_recourse(&self, blocks: &mut Vec<Block>) -> Result<(), LetterError> {
        for (heading, section) in [("legal_heading", "legal"), ("recourse_heading", "recourse")] {
            blocks.push(Block::Heading(self.common.line(heading)));
            let text = self.fill_all(self.kind.paragraphs(section))?;
            blocks.extend(text.into_iter().map(Block::Paragraph));
        }
        Ok(())
    }
}

/// The values placeholders may name; `None` when the input leaves one empty.
fn values(input: &LetterInput) -> Vec<(&'static str, Option<String>)> {
    let language = input.language;
    let dossier = Some(input.dossier_number.trim()).filter(|d| !d.is_empty());
    let tracking = match &input.channel {
        Channel::RegisteredPost { tracking_number } => Some(tracking_number.clone()),
        Channel::Post | Channel::EBox | Channel::Email => None,
    };
    vec![
        ("issued_on", Some(format_date(input.issued_on, language))),
        ("dossier", dossier.map(str::to_owned)),
        ("reference", Some(input.reference.clone())),
        (
            "respond_by",
            input.respond_by.map(|d| format_date(d, language)),
        ),
        ("payment_reference", input.payment_reference.clone()),
        ("tracking_number", tracking),
    ]
}

fn recipient(input: &LetterInput) -> Vec<String> {
    let mut lines = vec![input.recipient.name.clone()];
    lines.extend(input.recipient.address_lines.iter().cloned());
    lines
}
