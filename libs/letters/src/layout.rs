//! Where everything goes on the page: A4, fixed margins, the recipient in the window of a
//! Belgian right-window envelope, lines wrapped by measured width, pages broken when full,
//! `n/N` in every footer. The result is a list of drawing operations per page, so the
//! number of pages is known before the footers are written.

use crate::compose::{Block, FigureRow, Letter};
use crate::fonts::{Face, Fonts, Weight};

pub(crate) const PAGE_WIDTH: f32 = 595.28;
pub(crate) const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 65.0;
const RIGHT: f32 = PAGE_WIDTH - 56.0;
const CONTENT_WIDTH: f32 = RIGHT - LEFT;
const TOP: f32 = 50.0;
/// The lowest baseline of the content; the footer sits below it.
const LIMIT: f32 = PAGE_HEIGHT - 72.0;
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 36.0;
/// The address window: 112 mm from the left, 53 mm from the top.
const WINDOW_X: f32 = 318.0;
const WINDOW_Y: f32 = 150.0;

const BODY: f32 = 10.0;
const BODY_LEAD: f32 = 13.5;
const SMALL: f32 = 8.5;
const SMALL_LEAD: f32 = 11.0;
const SENDER: f32 = 9.0;
const SENDER_LEAD: f32 = 11.5;
const HEADING: f32 = 10.5;
const FOOTER: f32 = 7.5;
/// The amount column of the figures table, right-aligned on the right margin.
const AMOUNT_COLUMN: f32 = 105.0;
const EXPLANATION_INDENT: f32 = 12.0;
const BULLET_INDENT: f32 = 14.0;

/// One drawing operation; `y` is a baseline, from the top of the page.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Text {
        x: f32,
        y: f32,
        weight: Weight,
        size: f32,
        text: String,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
    },
}

/// The pages of `letter`, each a list of operations.
pub(crate) fn layout(letter: &Letter, fonts: &Fonts) -> Vec<Vec<Op>> {
    let mut flow = Flow {
        fonts,
        pages: vec![Vec::new()],
        y: TOP,
    };
    flow.header(letter);
    for block in &letter.blocks {
        flow.block(block);
    }
    flow.footers(&letter.footer);
    flow.pages
}

struct Flow<'f> {
    fonts: &'f Fonts,
    pages: Vec<Vec<Op>>,
    /// The baseline of the last line placed on the current page.
    y: f32,
}

/// How a table of label/value rows is printed.
struct PairStyle {
    size: f32,
    lead: f32,
    label: Weight,
    value: Weight,
    label_column: f32,
}

impl Flow<'_> {
    fn header(&mut self, letter: &Letter) {
        let sender_bottom = self.sender(&letter.sender);
        let window_bottom = self.window(&letter.channel, &letter.recipient);
        self.y = sender_bottom.max(window_bottom) + 2.0 * BODY_LEAD;
        let date = self.face(Weight::Regular).width(&letter.date_line, BODY);
        let y = self.line(BODY_LEAD);
        self.text(RIGHT - date, y, Weight::Regular, BODY, &letter.date_line);
        self.y += BODY_LEAD;
        self.references(letter);
        self.y += BODY_LEAD;
    }

    fn sender(&mut self, lines: &[String]) -> f32 {
        let mut y = TOP;
        for (i, line) in lines.iter().enumerate() {
            y += SENDER_LEAD;
            let weight = if i == 0 {
                Weight::Bold
            } else {
                Weight::Regular
            };
            self.text(LEFT, y, weight, SENDER, line);
        }
        y
    }

    /// How it is sent, then the recipient, inside the envelope's window.
    fn window(&mut self, channel: &str, recipient: &[String]) -> f32 {
        let width = RIGHT - WINDOW_X;
        let mut y = WINDOW_Y;
        for line in wrap(self.face(Weight::Regular), channel, SMALL, width) {
            self.text(WINDOW_X, y, Weight::Regular, SMALL, &line);
            y += SMALL_LEAD;
        }
        y += 4.0;
        for (i, part) in recipient.iter().enumerate() {
            let weight = if i == 0 {
                Weight::Bold
            } else {
                Weight::Regular
            };
            for line in wrap(self.face(weight), part, BODY, width) {
                self.text(WINDOW_X, y, weight, BODY, &line);
                y += BODY_LEAD;
            }
        }
        y
    }

    /// Our reference, the dossier number and the subject, labels in one column.
    fn references(&mut self, letter: &Letter) {
        let labels = letter.references.iter().map(|(label, _)| label.as_str());
        let labels: Vec<&str> = labels.chain([letter.subject_label.as_str()]).collect();
        let style = |value| PairStyle {
            size: BODY,
            lead: BODY_LEAD,
            label: Weight::Bold,
            value,
            label_column: self.label_column(&labels, Weight::Bold, BODY),
        };
        let (regular, bold) = (style(Weight::Regular), style(Weight::Bold));
        self.pairs(&letter.references, &regular);
        self.y += 4.0;
        let subject = [(letter.subject_label.clone(), letter.subject.clone())];
        self.pairs(&subject, &bold);
    }

    fn block(&mut self, block: &Block) {
        match block {
            Block::Heading(text) => self.heading(text),
            Block::Paragraph(text) => self.paragraph(text),
            Block::Bullet(text) => self.bullet(text),
            Block::Pairs(rows) => self.facts(rows),
            Block::Figures {
                description,
                amount,
                rows,
            } => self.figures(description, amount, rows),
            Block::Signature { greeting, lines } => self.signature(greeting, lines),
        }
    }

    fn heading(&mut self, text: &str) {
        // Never alone at the bottom of a page: keep room for two lines after it.
        self.reserve(6.0 + 3.0 * BODY_LEAD);
        self.y += 6.0;
        for line in wrap(self.face(Weight::Bold), text, HEADING, CONTENT_WIDTH) {
            let y = self.line(BODY_LEAD + 1.0);
            self.text(LEFT, y, Weight::Bold, HEADING, &line);
        }
        self.y += 2.0;
    }

    fn paragraph(&mut self, text: &str) {
        for line in wrap(self.face(Weight::Regular), text, BODY, CONTENT_WIDTH) {
            let y = self.line(BODY_LEAD);
            self.text(LEFT, y, Weight::Regular, BODY, &line);
        }
        self.y += 5.0;
    }

    fn bullet(&mut self, text: &str) {
        let width = CONTENT_WIDTH - BULLET_INDENT;
        let lines = wrap(self.face(Weight::Regular), text, BODY, width);
        for (i, line) in lines.iter().enumerate() {
            let y = self.line(BODY_LEAD);
            if i == 0 {
                self.text(LEFT + 3.0, y, Weight::Regular, BODY, "–");
            }
            self.text(LEFT + BULLET_INDENT, y, Weight::Regular, BODY, line);
        }
        self.y += 2.0;
    }

    fn facts(&mut self, rows: &[(String, String)]) {
        let labels: Vec<&str> = rows.iter().map(|(label, _)| label.as_str()).collect();
        let style = PairStyle {
            size: BODY,
            lead: BODY_LEAD,
            label: Weight::Regular,
            value: Weight::Bold,
            label_column: self.label_column(&labels, Weight::Regular, BODY),
        };
        self.pairs(rows, &style);
        self.y += 4.0;
    }

    /// The label column: as wide as the widest label, within limits.
    fn label_column(&self, labels: &[&str], weight: Weight, size: f32) -> f32 {
        let face = self.face(weight);
        let widest = labels
            .iter()
            .map(|l| face.width(l, size))
            .fold(0.0, f32::max);
        (widest + 12.0).clamp(60.0, CONTENT_WIDTH * 0.45)
    }

    fn pairs(&mut self, rows: &[(String, String)], style: &PairStyle) {
        let value_width = CONTENT_WIDTH - style.label_column;
        for (label, value) in rows {
            let labels = wrap(
                self.face(style.label),
                label,
                style.size,
                style.label_column - 8.0,
            );
            let values = wrap(self.face(style.value), value, style.size, value_width);
            for i in 0..labels.len().max(values.len()) {
                let y = self.line(style.lead);
                if let Some(line) = labels.get(i) {
                    self.text(LEFT, y, style.label, style.size, line);
                }
                if let Some(line) = values.get(i) {
                    let x = LEFT + style.label_column;
                    self.text(x, y, style.value, style.size, line);
                }
            }
        }
    }

    fn figures(&mut self, description: &str, amount: &str, rows: &[FigureRow]) {
        self.table_header(description, amount);
        for row in rows {
            self.figure(row, description, amount);
        }
        self.y += 4.0;
        self.rule(self.y);
        self.y += 6.0;
    }

    fn table_header(&mut self, description: &str, amount: &str) {
        self.reserve(BODY_LEAD * 3.0);
        let y = self.line(BODY_LEAD);
        self.text(LEFT, y, Weight::Bold, SMALL, description);
        self.text_right(RIGHT, y, Weight::Bold, SMALL, amount);
        self.rule(y + 4.0);
        self.y += 2.0;
    }

    /// A row: the label with its amount, then the explanation in small type below. The
    /// label's first line and the explanation's first line stay on one page; when the row
    /// opens a new page, the table's header is repeated.
    fn figure(&mut self, row: &FigureRow, description: &str, amount: &str) {
        let label_width = CONTENT_WIDTH - AMOUNT_COLUMN - 10.0;
        let labels = wrap(self.face(Weight::Regular), &row.label, BODY, label_width);
        let explanation_width = CONTENT_WIDTH - EXPLANATION_INDENT;
        let explanations = match row.explanation.trim() {
            "" => Vec::new(),
            text => wrap(self.face(Weight::Regular), text, SMALL, explanation_width),
        };
        let first = BODY_LEAD
            + if explanations.is_empty() {
                0.0
            } else {
                SMALL_LEAD
            };
        if self.reserve(first + 3.0) {
            self.table_header(description, amount);
        }
        self.y += 3.0;
        for (i, line) in labels.iter().enumerate() {
            let y = self.line(BODY_LEAD);
            self.text(LEFT, y, Weight::Regular, BODY, line);
            if i == 0 {
                self.text_right(RIGHT, y, Weight::Bold, BODY, &row.amount);
            }
        }
        for line in &explanations {
            let y = self.line(SMALL_LEAD);
            self.text(LEFT + EXPLANATION_INDENT, y, Weight::Regular, SMALL, line);
        }
    }

    /// The greeting, some room, then the signature's lines, all on one page.
    fn signature(&mut self, greeting: &str, lines: &[String]) {
        let greeting = wrap(self.face(Weight::Regular), greeting, BODY, CONTENT_WIDTH);
        let count = greeting.len() + lines.len() + 1;
        self.reserve(BODY_LEAD * count as f32);
        for line in greeting.iter().chain([&String::new()]).chain(lines) {
            let y = self.line(BODY_LEAD);
            self.text(LEFT, y, Weight::Regular, BODY, line);
        }
    }

    /// `reference – n/N` at the bottom of every page, under a rule.
    fn footers(&mut self, footer: &str) {
        let count = self.pages.len();
        let face = self.face(Weight::Regular);
        let mut footers = Vec::with_capacity(count);
        for number in 1..=count {
            let label = format!("{number}/{count}");
            let x = RIGHT - face.width(&label, FOOTER);
            footers.push([
                Op::Rule {
                    x1: LEFT,
                    x2: RIGHT,
                    y: FOOTER_BASELINE - 10.0,
                },
                text_op(LEFT, FOOTER_BASELINE, Weight::Regular, FOOTER, footer),
                text_op(x, FOOTER_BASELINE, Weight::Regular, FOOTER, &label),
            ]);
        }
        for (page, ops) in self.pages.iter_mut().zip(footers) {
            page.extend(ops);
        }
    }

    fn face(&self, weight: Weight) -> &Face {
        self.fonts.face(weight)
    }

    /// The baseline of the next line `lead` below the last, on a new page when it would
    /// pass the bottom margin.
    fn line(&mut self, lead: f32) -> f32 {
        self.reserve(lead);
        self.y += lead;
        self.y
    }

    /// Starts a new page unless `height` still fits on this one; true when it did.
    fn reserve(&mut self, height: f32) -> bool {
        if self.y + height <= LIMIT {
            return false;
        }
        self.pages.push(Vec::new());
        self.y = TOP;
        true
    }

    fn text(&mut self, x: f32, y: f32, weight: Weight, size: f32, text: &str) {
        if !text.is_empty() {
            self.push(text_op(x, y, weight, size, text));
        }
    }

    fn text_right(&mut self, right: f32, y: f32, weight: Weight, size: f32, text: &str) {
        let x = right - self.face(weight).width(text, size);
        self.text(x, y, weight, size, text);
    }

    fn rule(&mut self, y: f32) {
        self.push(Op::Rule {
            x1: LEFT,
            x2: RIGHT,
            y,
        });
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }
}

fn text_op(x: f32, y: f32, weight: Weight, size: f32, text: &str) -> Op {
    Op::Text {
        x,
        y,
        weight,
        size,
        text: text.to_owned(),
    }
}

/// `text` in lines no wider than `width`: breaks at spaces only (never at the no-break
/// spaces inside amounts), at every newline, and inside a word only when the word alone is
/// too wide (a long reference). Always at least one line.
pub(crate) fn wrap(face: &Face, text: &str, size: f32, width: f32) -> Vec<String> {
    let text = text.replace('\t', " ").replace('\r', "");
    let space = face.width(" ", size);
    let mut lines = Vec::new();
    for hard_line in text.split('\n') {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in hard_line.split(' ').filter(|w| !w.is_empty()) {
            for piece in split_long_word(face, word, size, width) {
                let piece_width = face.width(&piece, size);
                if line.is_empty() {
                    (line, line_width) = (piece, piece_width);
                } else if line_width + space + piece_width <= width {
                    line.push(' ');
                    line.push_str(&piece);
                    line_width += space + piece_width;
                } else {
                    lines.push(std::mem::replace(&mut line, piece));
                    line_width = piece_width;
                }
            }
        }
        lines.push(line);
    }
    lines
}

/// `word` cut into pieces no wider than `width` (one piece when it fits).
fn split_long_word(face: &Face, word: &str, size: f32, width: f32) -> Vec<String> {
    if face.width(word, size) <= width {
        return vec![word.to_owned()];
    }
    let mut pieces = vec![String::new()];
    for ch in word.chars() {
        let mut buffer = [0; 4];
        let current = pieces.last().map_or("", String::as_str);
        let next = face.width(current, size) + face.width(ch.encode_utf8(&mut buffer), size);
        if next > width && !current.is_empty() {
            pieces.push(String::new());
        }
        if let Some(piece) = pieces.last_mut() {
            piece.push(ch);
        }
    }
    pieces
}

#[cfg(test)]
mod tests;
