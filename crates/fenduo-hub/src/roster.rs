//! Group rosters as people really export them from Excel: bytes in, rows and row-level refusals out.
//!
//! Pure: no database, no I/O. [`parse_roster`] takes a file name (for its extension only) and the
//! file's bytes and returns the groups it could read ([`RosterRow`]), the rows it refused with a
//! reason in English and Chinese ([`RowError`]) and the rows it skipped on purpose ([`SkippedRow`],
//! e.g. a totals row). A problem with the whole file (not a roster, no header row, a required column
//! missing) is a [`RosterError`].
//!
//! The rule throughout: a file imports correctly or is refused with a clear, row-level error —
//! never imported wrong.
//!
//! # Decisions
//!
//! - **Format by content first.** A ZIP signature (`PK\x03\x04`) is read as an XLSX workbook
//!   whatever the extension; the legacy binary `.xls` is refused (save it as `.xlsx` or CSV); a
//!   file named `.xlsx` that is not a ZIP is refused; everything else is read as delimited text.
//! - **Text encoding**: UTF-8 BOM → UTF-8 (`"utf-8-bom"`); UTF-16 BOM → UTF-16 (Excel's
//!   "Unicode Text", tab-separated); valid UTF-8 → UTF-8; otherwise GB18030, the superset of GBK
//!   that Chinese Excel writes. Bytes that do not decode, or text that already holds U+FFFD
//!   replacement characters, refuse the whole file rather than import mojibake. A wrong guess
//!   that still decodes cannot pass unnoticed either: the header row must then match known column
//!   names, and it is written in the same encoding as the rows.
//! - **Separator**: comma, tab or semicolon — whichever yields the best header row.
//! - **Header row**: the row among the first [`HEADER_SCAN_ROWS`] that names the most known
//!   columns (at least two), matched on the column names in Chinese and English and their usual
//!   synonyms, ignoring case, spaces, full-width forms and a bracketed suffix such as `（必填）`.
//!   Rows above it (titles, export notes) are skipped. Unknown columns are listed in
//!   [`ParsedRoster::ignored_columns`]; a known column that appears twice refuses the file.
//! - **Required columns**: group id, group name, leader, member count, distributor. Optional:
//!   leader phone, operations officer, atmosphere officer, tags. Required cells must not be empty
//!   (the two officers may be).
//! - **Cells** are trimmed. Only id, phone and member-count cells are normalised (full-width forms
//!   to ASCII, invisible zero-width characters dropped); every other text is kept exactly as
//!   written — emoji, a `?` that Excel put in place of an emoji, zero-width spaces inside a name.
//! - **Ids are digit strings, never numbers.** A value in scientific notation (`1.68885E+18`) has
//!   lost its digits and is refused with how to fix it; so is an XLSX id or phone stored as a
//!   number of 16 or more digits (Excel keeps 15 significant digits), and, when every long id in a
//!   CSV ends in zeros past the 15th digit (what a Number-formatted column exports), those ids.
//! - **Member count**: a whole number from 1 to [`MAX_MEMBERS`]; `72`, `７２`, `100`, `100.0` and a
//!   numeric XLSX cell are accepted, `72.5`, `0`, negatives and more than 500 are refused.
//! - **Merged cells (XLSX)**: a region merged down over several rows holds its value in the top
//!   cell only; the rows below belong to it, so the value is carried down the region's first column
//!   (any column, not only the distributor) into empty cells of rows that are not blank. Nothing is
//!   carried outside a merged region. A CSV has no merge information: an empty distributor there
//!   is refused with a hint.
//! - **Skipped, not refused**: blank rows (silently) and totals rows — a cell reading 合计, 总计,
//!   小计, Total… with no group id, or a row with numbers but no group id, group name or leader
//!   (reported in [`ParsedRoster::skipped`]).
//! - **One [`RowError`] per problem cell**, so a row may be refused by several entries with the
//!   same line ([`ParsedRoster::refused_lines`] lists each row once). A group id seen twice in one
//!   file refuses the later row, naming both lines.
//! - **Line numbers** are the row numbers the user sees in Excel: the XLSX row number, or for a
//!   CSV the record's line counting blank lines and not counting line breaks inside quoted cells.
//! - **Workbooks**: the first sheet with a header row is read; rosters on several sheets refuse the
//!   file (rather than silently importing one of them).

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use serde::Serialize;

/// A WeChat group holds at most 500 members.
pub const MAX_MEMBERS: u32 = 500;
/// How many rows from the top are searched for the header row.
pub const HEADER_SCAN_ROWS: usize = 30;
/// Excel keeps this many significant digits of a number; longer numbers have lost digits.
const EXCEL_DIGITS: usize = 15;
/// Longest id accepted (WeChat group ids have 19 digits).
const MAX_ID_LEN: usize = 32;

/// One group read from a roster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RosterRow {
    /// 1-based row number as the user sees it in Excel.
    pub line: usize,
    /// Digits, exactly as written (full-width digits turned to ASCII).
    pub group_id: String,
    /// As written: emoji, `?` and zero-width spaces stay.
    pub group_name: String,
    pub leader_name: String,
    /// As written (full-width forms turned to ASCII); `None` when the column or the cell is empty.
    pub leader_phone: Option<String>,
    /// May be empty.
    pub ops_officer: String,
    /// May be empty.
    pub atmosphere_officer: String,
    pub member_count: u32,
    /// The distributor's name or username as written (carried down a merged XLSX region).
    pub distributor: String,
    /// The tags cell as written, not split (empty when there is no tags column).
    pub tags: String,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct RowError {
    /// 1-based row number as the user sees it in Excel.
    pub line: usize,
    /// The column's header as written in the file, when one cell is at fault.
    pub column: Option<String>,
    pub reason: String,
    pub reason_zh: String,
}

/// A row left out on purpose (a totals row), reported so the user sees it was not a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SkippedRow {
    pub line: usize,
    pub reason: String,
    pub reason_zh: String,
}

/// Everything read from one roster file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParsedRoster {
    pub rows: Vec<RosterRow>,
    /// In line order; several entries may share a line (one per problem cell).
    pub refused: Vec<RowError>,
    pub skipped: Vec<SkippedRow>,
    /// `"utf-8"`, `"utf-8-bom"`, `"gb18030"`, `"utf-16le"`, `"utf-16be"` or `"xlsx"`.
    pub encoding: &'static str,
    /// The worksheet read, for a workbook.
    pub sheet: Option<String>,
    /// The line of the header row.
    pub header_line: usize,
    /// Header cells that name no known column, as written.
    pub ignored_columns: Vec<String>,
}

impl ParsedRoster {
    /// Each refused row's line, once, in order.
    pub fn refused_lines(&self) -> Vec<usize> {
        let mut lines: Vec<usize> = self.refused.iter().map(|e| e.line).collect();
        lines.dedup();
        lines
    }
}

/// The columns a roster may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RosterColumn {
    GroupId,
    GroupName,
    Leader,
    LeaderPhone,
    OpsOfficer,
    AtmosphereOfficer,
    MemberCount,
    Distributor,
    Tags,
}

impl RosterColumn {
    pub const ALL: [RosterColumn; 9] = [
        RosterColumn::GroupId,
        RosterColumn::GroupName,
        RosterColumn::Leader,
        RosterColumn::LeaderPhone,
        RosterColumn::OpsOfficer,
        RosterColumn::AtmosphereOfficer,
        RosterColumn::MemberCount,
        RosterColumn::Distributor,
        RosterColumn::Tags,
    ];

    pub fn required(self) -> bool {
        matches!(
            self,
            RosterColumn::GroupId
                | RosterColumn::GroupName
                | RosterColumn::Leader
                | RosterColumn::MemberCount
                | RosterColumn::Distributor
        )
    }

    /// The usual Chinese header.
    pub fn zh(self) -> &'static str {
        match self {
            RosterColumn::GroupId => "群ID",
            RosterColumn::GroupName => "群名称",
            RosterColumn::Leader => "群主",
            RosterColumn::LeaderPhone => "群主手机",
            RosterColumn::OpsOfficer => "运营官",
            RosterColumn::AtmosphereOfficer => "气氛官",
            RosterColumn::MemberCount => "群人数",
            RosterColumn::Distributor => "经销商",
            RosterColumn::Tags => "标签",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            RosterColumn::GroupId => "group id",
            RosterColumn::GroupName => "group name",
            RosterColumn::Leader => "leader",
            RosterColumn::LeaderPhone => "leader phone",
            RosterColumn::OpsOfficer => "operations officer",
            RosterColumn::AtmosphereOfficer => "atmosphere officer",
            RosterColumn::MemberCount => "member count",
            RosterColumn::Distributor => "distributor",
            RosterColumn::Tags => "tags",
        }
    }

    /// Accepted headers, in the form [`header_key`] produces.
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            RosterColumn::GroupId => &[
                "群id",
                "群编号",
                "群号",
                "群编码",
                "群聊id",
                "客户群id",
                "微信群id",
                "企微群id",
                "groupid",
                "groupno",
                "groupnumber",
                "chatid",
            ],
            RosterColumn::GroupName => {
                &["群名称", "群名", "群聊名称", "群聊名", "客户群名称", "微信群名称", "groupname", "chatname"]
            }
            RosterColumn::Leader => &[
                "群主",
                "群主姓名",
                "群主名称",
                "群主名字",
                "群长",
                "leader",
                "leadername",
                "groupleader",
                "owner",
                "ownername",
                "groupowner",
            ],
            RosterColumn::LeaderPhone => &[
                "群主手机",
                "群主手机号",
                "群主手机号码",
                "群主电话",
                "群主联系电话",
                "手机",
                "手机号",
                "手机号码",
                "电话",
                "联系电话",
                "联系方式",
                "phone",
                "mobile",
                "leaderphone",
                "phonenumber",
                "mobilephone",
                "tel",
            ],
            RosterColumn::OpsOfficer => &[
                "运营官",
                "群运营官",
                "运营",
                "运营官姓名",
                "opsofficer",
                "operationsofficer",
                "ops",
                "operator",
            ],
            RosterColumn::AtmosphereOfficer => {
                &["气氛官", "群气氛官", "氛围官", "气氛官姓名", "atmosphereofficer", "atmosphere"]
            }
            RosterColumn::MemberCount => &[
                "人数",
                "群人数",
                "成员数",
                "群成员数",
                "成员人数",
                "群成员人数",
                "成员数量",
                "members",
                "membercount",
                "memberscount",
                "numberofmembers",
                "groupsize",
            ],
            RosterColumn::Distributor => &[
                "经销商",
                "所属经销商",
                "经销商名称",
                "经销商姓名",
                "经销商账号",
                "经销商用户名",
                "distributor",
                "distributorname",
                "distributorusername",
                "dealer",
            ],
            RosterColumn::Tags => &["标签", "群标签", "tags", "tag", "labels", "label"],
        }
    }

    fn label(self) -> String {
        format!("{} ({})", self.zh(), self.en())
    }
}

/// A problem with the whole file. `Display` is English; [`RosterError::message_zh`] is Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RosterError {
    #[error("the file is empty: there is nothing to import")]
    Empty,
    #[error("not a roster file: {reason}")]
    UnknownFormat { reason: String, reason_zh: String },
    #[error("{reason}")]
    Undecodable { reason: String, reason_zh: String },
    #[error("the workbook cannot be read: {0}")]
    BadWorkbook(String),
    #[error(
        "no header row found in the first {HEADER_SCAN_ROWS} rows: expected columns such as {}",
        list_columns(RosterColumn::ALL.iter().copied().filter(|c| c.required()))
    )]
    NoHeader,
    #[error("missing required column{}: {}", if missing.len() == 1 { "" } else { "s" }, list_columns(missing.iter().copied()))]
    MissingColumns { missing: Vec<RosterColumn> },
    #[error("two columns are both {}: \"{first}\" and \"{second}\"; keep one", column.label())]
    DuplicateColumn { column: RosterColumn, first: String, second: String },
    #[error("the workbook has a roster on several sheets ({}); keep one roster per file", sheets.join(", "))]
    SeveralSheets { sheets: Vec<String> },
    /// Far larger than any roster (a zip bomb, or stray cells at the sheet's far corner).
    #[error("{reason}")]
    TooLarge { reason: String, reason_zh: String },
}

impl RosterError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RosterError::Empty => "roster_empty",
            RosterError::UnknownFormat { .. } => "roster_unknown_format",
            RosterError::Undecodable { .. } => "roster_undecodable",
            RosterError::BadWorkbook(_) => "roster_bad_workbook",
            RosterError::NoHeader => "roster_no_header",
            RosterError::MissingColumns { .. } => "roster_missing_columns",
            RosterError::DuplicateColumn { .. } => "roster_duplicate_column",
            RosterError::SeveralSheets { .. } => "roster_several_sheets",
            RosterError::TooLarge { .. } => "roster_too_large",
        }
    }

    /// The message in Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            RosterError::Empty => "文件是空的，没有可导入的内容".into(),
            RosterError::UnknownFormat { reason_zh, .. } => format!("不是群名单文件：{reason_zh}"),
            RosterError::Undecodable { reason_zh, .. } => reason_zh.clone(),
            RosterError::BadWorkbook(e) => format!("无法读取该 Excel 文件：{e}"),
            RosterError::NoHeader => format!(
                "前 {HEADER_SCAN_ROWS} 行中找不到表头行：应包含 {} 等列",
                list_columns_zh(RosterColumn::ALL.iter().copied().filter(|c| c.required()))
            ),
            RosterError::MissingColumns { missing } => {
                format!("缺少必需的列：{}", list_columns_zh(missing.iter().copied()))
            }
            RosterError::DuplicateColumn { column, first, second } => {
                format!("「{first}」和「{second}」两列都是{}，请只保留一列", column.zh())
            }
            RosterError::SeveralSheets { sheets } => {
                format!("工作簿中有多个工作表都是群名单（{}），请每个文件只放一份名单", sheets.join("、"))
            }
            RosterError::TooLarge { reason_zh, .. } => reason_zh.clone(),
        }
    }
}

fn list_columns(cols: impl Iterator<Item = RosterColumn>) -> String {
    cols.map(RosterColumn::label).collect::<Vec<_>>().join(", ")
}

fn list_columns_zh(cols: impl Iterator<Item = RosterColumn>) -> String {
    cols.map(|c| c.zh()).collect::<Vec<_>>().join("、")
}

/// Reads a roster. `file_name` is only used for its extension; the content decides the format.
pub fn parse_roster(file_name: &str, bytes: &[u8]) -> Result<ParsedRoster, RosterError> {
    let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    if bytes.starts_with(b"PK\x03\x04") {
        return parse_xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) || ext == "xls" {
        return Err(RosterError::UnknownFormat {
            reason: "this is the old Excel 97-2003 .xls format; in Excel use Save As → Excel Workbook \
                     (.xlsx) or CSV and import that file"
                .into(),
            reason_zh: "这是旧版 Excel 97-2003（.xls）格式，请在 Excel 中“另存为” Excel 工作簿（.xlsx）\
                        或 CSV 后再导入"
                .into(),
        });
    }
    if matches!(ext.as_str(), "xlsx" | "xlsm" | "xltx" | "xltm") {
        return Err(RosterError::UnknownFormat {
            reason: format!("the file is named .{ext} but is not an Excel workbook (it may be damaged)"),
            reason_zh: format!("文件扩展名是 .{ext}，但内容不是 Excel 工作簿（文件可能已损坏）"),
        });
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(RosterError::Empty);
    }
    let (text, encoding) = decode_text(bytes)?;
    parse_text(&text, encoding)
}

// ---- text decoding -------------------------------------------------------------------------

fn decode_text(bytes: &[u8]) -> Result<(Cow<'_, str>, &'static str), RosterError> {
    let undecodable = |what: &str, what_zh: &str| {
        RosterError::Undecodable {
        reason: format!(
            "the text cannot be read: {what}. Save it from Excel as \"CSV UTF-8\" or as .xlsx and import again"
        ),
        reason_zh: format!("无法识别文件文字：{what_zh}。请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重新导入"),
    }
    };
    let (text, encoding): (Cow<'_, str>, &'static str) =
        if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
            match std::str::from_utf8(rest) {
                Ok(s) => (Cow::Borrowed(s), "utf-8-bom"),
                Err(_) => {
                    return Err(undecodable(
                        "it starts with a UTF-8 mark but is not valid UTF-8",
                        "文件开头标明为 UTF-8，但内容不是有效的 UTF-8",
                    ))
                }
            }
        } else if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
            match encoding_rs::UTF_16LE.decode_without_bom_handling_and_without_replacement(rest) {
                Some(s) => (s, "utf-16le"),
                None => return Err(undecodable("it is not valid UTF-16", "内容不是有效的 UTF-16")),
            }
        } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
            match encoding_rs::UTF_16BE.decode_without_bom_handling_and_without_replacement(rest) {
                Some(s) => (s, "utf-16be"),
                None => return Err(undecodable("it is not valid UTF-16", "内容不是有效的 UTF-16")),
            }
        } else if bytes.contains(&0) {
            return Err(RosterError::UnknownFormat {
                reason: "it is a binary file, neither a CSV nor an .xlsx workbook".into(),
                reason_zh: "这是二进制文件，既不是 CSV 也不是 .xlsx 工作簿".into(),
            });
        } else if let Ok(s) = std::str::from_utf8(bytes) {
            (Cow::Borrowed(s), "utf-8")
        } else {
            match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes) {
                Some(s) => (s, "gb18030"),
                None => {
                    return Err(undecodable(
                        "it is neither UTF-8 nor GBK/GB18030",
                        "既不是 UTF-8 也不是 GBK/GB18030 编码",
                    ))
                }
            }
        };
    if text.contains('\u{FFFD}') {
        return Err(undecodable(
            "it contains replacement characters (�), so its text was already damaged by an earlier conversion",
            "其中含有乱码替换字符（�），文字在之前的转换中已经损坏",
        ));
    }
    Ok((text, encoding))
}

// ---- tables --------------------------------------------------------------------------------

/// A cell as read, before it is interpreted for its column.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Empty,
    Text(String),
    Number(f64),
    /// An XLSX cell formatted as a date or time (its serial value).
    Date(f64),
    /// An XLSX cell showing an error such as `#N/A`.
    Error(String),
}

static EMPTY: Cell = Cell::Empty;

impl Cell {
    fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            Cell::Text(s) => Some(s.trim()),
            _ => None,
        }
    }
}

struct RawRow {
    line: usize,
    cells: Vec<Cell>,
}

impl RawRow {
    fn cell(&self, index: usize) -> &Cell {
        self.cells.get(index).unwrap_or(&EMPTY)
    }

    fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_blank)
    }
}

fn read_delimited(text: &str, delimiter: u8) -> Vec<RawRow> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    // The csv crate's own line count lags a record behind after CRLF, so count here: the physical
    // line of the record's first byte (past the previous terminator and blank lines), less the
    // line breaks inside quoted cells before it, which Excel shows inside one row.
    let (mut counted_to, mut breaks_before, mut inner_breaks) = (0usize, 0usize, 0usize);
    for record in reader.records() {
        // The input is a &str, so the only possible error is an I/O one, which cannot happen.
        let Ok(record) = record else { break };
        let mut start = record.position().map_or(0, |p| p.byte() as usize).max(counted_to);
        while matches!(text.as_bytes().get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        breaks_before += count_line_breaks(&text[counted_to..start]);
        counted_to = start;
        let line = breaks_before + 1 - inner_breaks;
        inner_breaks += record.iter().map(count_line_breaks).sum::<usize>();
        let cells = record
            .iter()
            .map(|f| if f.is_empty() { Cell::Empty } else { Cell::Text(f.to_string()) })
            .collect();
        rows.push(RawRow { line, cells });
    }
    rows
}

fn parse_text(text: &str, encoding: &'static str) -> Result<ParsedRoster, RosterError> {
    let mut best: Option<(usize, u8, Vec<RawRow>, usize)> = None;
    for delimiter in [b',', b'\t', b';'] {
        let rows = read_delimited(text, delimiter);
        if let Some((index, score)) = find_header(&rows) {
            if best.as_ref().is_none_or(|b| score > b.3) {
                best = Some((index, delimiter, rows, score));
            }
        }
    }
    let Some((header_index, delimiter, rows, _)) = best else {
        return Err(RosterError::NoHeader);
    };
    let header = Header::from_row(&rows[header_index])?;
    let source = Source::Delimited(delimiter as char);
    Ok(read_rows(&header, &rows[header_index + 1..], source, encoding, None))
}

fn parse_xlsx(bytes: &[u8]) -> Result<ParsedRoster, RosterError> {
    let not_a_workbook = |e: calamine::XlsxError| match e {
        calamine::XlsxError::Zip(_) | calamine::XlsxError::FileNotFound(_) => RosterError::UnknownFormat {
            reason: "it is a ZIP archive but not an Excel .xlsx workbook".into(),
            reason_zh: "这是 ZIP 压缩包，不是 Excel .xlsx 工作簿".into(),
        },
        e => RosterError::BadWorkbook(e.to_string()),
    };
    check_workbook_size(bytes)?;
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(not_a_workbook)?;
    // Sheets whose header row has every required column; a summary sheet (经销商 | 群人数) may name
    // some known columns too, so it neither counts as a roster nor makes the workbook ambiguous.
    let mut rosters: Vec<(String, Vec<RawRow>, Header)> = Vec::new();
    let mut incomplete: Option<(usize, RosterError)> = None;
    for name in workbook.sheet_names() {
        let range = workbook.worksheet_range(&name).map_err(|e| RosterError::BadWorkbook(e.to_string()))?;
        let merges =
            workbook.merge_cells_by_sheet_name(&name).map_err(|e| RosterError::BadWorkbook(e.to_string()))?;
        let rows = sheet_rows(&range, &merges);
        let Some((index, score)) = find_header(&rows) else { continue };
        match Header::from_row(&rows[index]) {
            Ok(header) => rosters.push((name, rows.into_iter().skip(index + 1).collect(), header)),
            Err(e) => {
                if incomplete.as_ref().is_none_or(|(best, _)| score > *best) {
                    incomplete = Some((score, e));
                }
            }
        }
    }
    if rosters.len() > 1 {
        return Err(RosterError::SeveralSheets { sheets: rosters.into_iter().map(|f| f.0).collect() });
    }
    match (rosters.pop(), incomplete) {
        (Some((sheet, rows, header)), _) => {
            Ok(read_rows(&header, &rows, Source::Workbook, "xlsx", Some(sheet)))
        }
        (None, Some((_, e))) => Err(e),
        (None, None) => Err(RosterError::NoHeader),
    }
}

/// Largest part of a workbook, unpacked: a roster of 200,000 rows stays far below it.
const MAX_XLSX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// Largest sheet read: rows and columns. The reader makes a dense grid of the used area, so a
/// stray cell at XFD1048576 would otherwise ask for hundreds of gigabytes.
const MAX_SHEET_ROWS: u64 = 200_000;
const MAX_SHEET_COLS: u64 = 200;

/// Refuses, before anything is unpacked in full, a workbook that is a zip bomb or whose sheets
/// use cells far outside any roster.
fn check_workbook_size(bytes: &[u8]) -> Result<(), RosterError> {
    let too_big = |what: String, zh: String| RosterError::TooLarge { reason: what, reason_zh: zh };
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(()); // not a zip: the workbook reader says what it is
    };
    let mut total = 0u64;
    for i in 0..archive.len() {
        let Ok(mut entry) = archive.by_index(i) else { continue };
        total = total.saturating_add(entry.size());
        if entry.size() > MAX_XLSX_PART_BYTES || total > 2 * MAX_XLSX_PART_BYTES {
            return Err(too_big(
                format!("the workbook unpacks to more than {} MiB; a roster is far smaller — save only the roster sheet and try again", MAX_XLSX_PART_BYTES >> 20),
                format!("工作簿解压后超过 {} MiB，名单不会这么大。请只保留名单工作表后重新保存再导入", MAX_XLSX_PART_BYTES >> 20),
            ));
        }
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        if !(name.starts_with("xl/worksheets/") && name.ends_with(".xml")) {
            continue;
        }
        let mut xml = Vec::with_capacity(entry.size() as usize);
        // The declared size was checked; read at most that much more, in case it lied.
        let _ = std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut entry, MAX_XLSX_PART_BYTES + 1),
            &mut xml,
        );
        let (rows, cols) = used_extent(&xml);
        if rows > MAX_SHEET_ROWS || cols > MAX_SHEET_COLS {
            return Err(too_big(
                format!(
                    "a sheet has cells as far as row {rows}, column {cols}; a roster has at most {MAX_SHEET_ROWS} rows and {MAX_SHEET_COLS} columns — delete the stray cells far below or to the right of the table and save again"
                ),
                format!(
                    "有工作表用到了第 {rows} 行、第 {cols} 列；名单最多 {MAX_SHEET_ROWS} 行、{MAX_SHEET_COLS} 列。请删掉表格下方或右侧远处的多余单元格后重新保存"
                ),
            ));
        }
    }
    Ok(())
}

/// The largest row and column (1-based) named by a cell reference `<c r="XFD1048576"` in a sheet.
fn used_extent(xml: &[u8]) -> (u64, u64) {
    let (mut rows, mut cols) = (0u64, 0u64);
    let mut i = 0;
    while let Some(pos) = xml[i..].windows(6).position(|w| w == b"<c r=\"") {
        let mut j = i + pos + 6;
        let mut col = 0u64;
        while j < xml.len() && xml[j].is_ascii_uppercase() {
            col = col.saturating_mul(26).saturating_add(u64::from(xml[j] - b'A' + 1));
            j += 1;
        }
        let mut row = 0u64;
        while j < xml.len() && xml[j].is_ascii_digit() {
            row = row.saturating_mul(10).saturating_add(u64::from(xml[j] - b'0'));
            j += 1;
        }
        rows = rows.max(row);
        cols = cols.max(col);
        i = j;
    }
    (rows, cols)
}

/// The sheet's rows from the first (row numbers are Excel's), with merged regions carried down.
fn sheet_rows(range: &calamine::Range<Data>, merges: &[calamine::Dimensions]) -> Vec<RawRow> {
    let Some((end_row, end_col)) = range.end() else { return Vec::new() };
    let mut rows: Vec<RawRow> = (0..=end_row)
        .map(|r| RawRow {
            line: r as usize + 1,
            cells: (0..=end_col).map(|c| range.get_value((r, c)).map_or(Cell::Empty, to_cell)).collect(),
        })
        .collect();
    // Decide blankness before carrying values down, so a region merged past the data does not
    // turn blank rows into half-filled ones.
    let blank: Vec<bool> = rows.iter().map(RawRow::is_blank).collect();
    for merge in merges {
        let (top, col) = (merge.start.0 as usize, merge.start.1 as usize);
        let bottom = merge.end.0 as usize;
        if bottom <= top || top >= rows.len() {
            continue;
        }
        let value = rows[top].cell(col).clone();
        if value.is_blank() {
            continue;
        }
        for r in top + 1..=bottom.min(rows.len() - 1) {
            if !blank[r] && rows[r].cell(col).is_blank() {
                if let Some(cell) = rows[r].cells.get_mut(col) {
                    *cell = value.clone();
                }
            }
        }
    }
    rows
}

fn to_cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) if s.is_empty() => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Text(if *b { "TRUE" } else { "FALSE" }.into()),
        Data::DateTime(d) => Cell::Date(d.as_f64()),
        Data::Error(e) => Cell::Error(e.to_string()),
    }
}

// ---- header --------------------------------------------------------------------------------

/// A header cell reduced for matching: full-width forms to ASCII, lower case, no spaces,
/// underscores, hyphens, stars or colons, and no bracketed suffix (`群ID（必填）` → `群id`).
fn header_key(cell: &str) -> String {
    let folded = fold_width(cell);
    let cut = folded.find(['(', '[', '【', '〔']).map_or(folded.as_str(), |i| &folded[..i]);
    cut.chars()
        .filter(|c| !c.is_whitespace() && !is_invisible(*c) && !matches!(c, '_' | '-' | '*' | ':' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn column_for(cell: &Cell) -> Option<RosterColumn> {
    let key = header_key(cell.text()?);
    RosterColumn::ALL.into_iter().find(|c| c.synonyms().contains(&key.as_str()))
}

/// The index of the row naming the most known columns (at least two) and how many it names.
fn find_header(rows: &[RawRow]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for (index, row) in rows.iter().enumerate().take(HEADER_SCAN_ROWS) {
        let mut seen: Vec<RosterColumn> = row.cells.iter().filter_map(column_for).collect();
        seen.sort();
        seen.dedup();
        let score = seen.len();
        if score >= 2 && best.is_none_or(|b| score > b.1) {
            best = Some((index, score));
        }
    }
    best
}

struct Header {
    line: usize,
    /// Column → (cell index, header as written).
    columns: HashMap<RosterColumn, (usize, String)>,
    ignored: Vec<String>,
}

impl Header {
    fn from_row(row: &RawRow) -> Result<Header, RosterError> {
        let mut columns: HashMap<RosterColumn, (usize, String)> = HashMap::new();
        let mut ignored = Vec::new();
        for (index, cell) in row.cells.iter().enumerate() {
            let Some(written) = cell.text().filter(|s| !s.is_empty()) else { continue };
            match column_for(cell) {
                Some(column) => {
                    if let Some((_, first)) = columns.get(&column) {
                        return Err(RosterError::DuplicateColumn {
                            column,
                            first: first.clone(),
                            second: written.to_string(),
                        });
                    }
                    columns.insert(column, (index, written.to_string()));
                }
                None => ignored.push(written.to_string()),
            }
        }
        let missing: Vec<RosterColumn> =
            RosterColumn::ALL.into_iter().filter(|c| c.required() && !columns.contains_key(c)).collect();
        if !missing.is_empty() {
            return Err(RosterError::MissingColumns { missing });
        }
        Ok(Header { line: row.line, columns, ignored })
    }

    fn index(&self, column: RosterColumn) -> Option<usize> {
        self.columns.get(&column).map(|c| c.0)
    }

    fn name(&self, column: RosterColumn) -> &str {
        self.columns.get(&column).map_or(column.zh(), |c| c.1.as_str())
    }
}

// ---- rows ----------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Delimited(char),
    Workbook,
}

/// One row's problems, gathered while its cells are read.
struct RowReader<'a> {
    header: &'a Header,
    row: &'a RawRow,
    errors: Vec<RowError>,
}

impl RowReader<'_> {
    fn cell(&self, column: RosterColumn) -> &Cell {
        self.header.index(column).map_or(&EMPTY, |i| self.row.cell(i))
    }

    fn refuse(&mut self, column: RosterColumn, reason: String, reason_zh: String) {
        self.errors.push(RowError {
            line: self.row.line,
            column: Some(self.header.name(column).to_string()),
            reason,
            reason_zh,
        });
    }

    /// A text cell as written (trimmed); `required` refuses an empty one.
    fn text(&mut self, column: RosterColumn, required: bool, hint: Option<(&str, &str)>) -> String {
        let name = self.header.name(column).to_string();
        let value = match self.cell(column).clone() {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(f) => format_number(f),
            Cell::Date(_) => {
                self.refuse(
                    column,
                    format!("{name} holds a date, not text"),
                    format!("「{name}」是日期，不是文字"),
                );
                return String::new();
            }
            Cell::Error(e) => {
                self.refuse_excel_error(column, &e);
                return String::new();
            }
        };
        if required && value.is_empty() {
            let (hint, hint_zh) = hint.unwrap_or(("", ""));
            self.refuse(column, format!("{name} is empty{hint}"), format!("「{name}」为空{hint_zh}"));
        }
        value
    }

    fn refuse_excel_error(&mut self, column: RosterColumn, shown: &str) {
        let name = self.header.name(column).to_string();
        self.refuse(
            column,
            format!("{name} shows the Excel error {shown}; fix the cell in Excel and export again"),
            format!("「{name}」显示 Excel 错误 {shown}，请在 Excel 中改正后重新导出"),
        );
    }

    /// A digit string (id or phone). `Ok(None)` when empty.
    fn digits(&mut self, column: RosterColumn, phone: bool) -> Option<String> {
        let name = self.header.name(column).to_string();
        let fix = format!(
            "In Excel, format the {name} column as Text (Format Cells → Text), enter the full numbers \
             again and export again"
        );
        let fix_zh = format!(
            "请在 Excel 中把「{name}」列设置为文本格式（设置单元格格式 → 文本），重新填入完整号码后再导出"
        );
        match self.cell(column).clone() {
            Cell::Empty => None,
            Cell::Text(s) => {
                let written = s.trim();
                let ascii = normalise_number_text(written);
                if ascii.is_empty() {
                    return None;
                }
                if is_scientific(&ascii) {
                    self.refuse(
                        column,
                        format!(
                            "{name} \"{written}\" is in scientific notation: Excel rounded the number and \
                             its digits are lost. {fix}"
                        ),
                        format!("「{name}」“{written}”是科学计数法：Excel 已把号码四舍五入，原来的数字已经丢失。{fix_zh}"),
                    );
                    return None;
                }
                let valid = if phone {
                    let digits = ascii.chars().filter(char::is_ascii_digit).count();
                    let body = ascii.strip_prefix('+').unwrap_or(&ascii);
                    (5..=20).contains(&digits)
                        && body.chars().all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')'))
                } else {
                    ascii.len() <= MAX_ID_LEN && ascii.bytes().all(|b| b.is_ascii_digit())
                };
                if valid {
                    Some(ascii)
                } else if phone {
                    self.refuse(
                        column,
                        format!("{name} \"{written}\" is not a phone number"),
                        format!("「{name}」“{written}”不是有效的电话号码"),
                    );
                    None
                } else {
                    self.refuse(
                        column,
                        format!("{name} \"{written}\" must be digits only (at most {MAX_ID_LEN})"),
                        format!("「{name}」“{written}”只能是数字（最多 {MAX_ID_LEN} 位）"),
                    );
                    None
                }
            }
            Cell::Number(f) => {
                if !f.is_finite() || f < 0.0 || f.fract() != 0.0 {
                    let shown = format_number(f);
                    self.refuse(
                        column,
                        format!("{name} \"{shown}\" must be digits only"),
                        format!("「{name}」“{shown}”只能是数字"),
                    );
                    None
                } else if f >= 10f64.powi(EXCEL_DIGITS as i32) {
                    let shown = format_number(f);
                    self.refuse(
                        column,
                        format!(
                            "{name} is stored as a number ({shown}) and Excel keeps only {EXCEL_DIGITS} \
                             significant digits, so its digits cannot be trusted. {fix}"
                        ),
                        format!(
                            "「{name}」以数字格式保存（{shown}），Excel 只保留 {EXCEL_DIGITS} 位有效数字，\
                             号码可能已经不准确。{fix_zh}"
                        ),
                    );
                    None
                } else {
                    Some(format!("{f:.0}"))
                }
            }
            Cell::Date(_) => {
                self.refuse(column, format!("{name} holds a date"), format!("「{name}」是日期"));
                None
            }
            Cell::Error(e) => {
                self.refuse_excel_error(column, &e);
                None
            }
        }
    }

    fn member_count(&mut self, column: RosterColumn) -> Option<u32> {
        let name = self.header.name(column).to_string();
        let (value, shown) = match self.cell(column).clone() {
            Cell::Empty => (Err(CountProblem::Empty), String::new()),
            Cell::Text(s) => {
                let written = s.trim().to_string();
                (count_from_text(&normalise_number_text(&written)), written)
            }
            Cell::Number(f) => (count_from_number(f), format_number(f)),
            Cell::Date(_) => (Err(CountProblem::NotANumber), "(date)".to_string()),
            Cell::Error(e) => {
                self.refuse_excel_error(column, &e);
                return None;
            }
        };
        let (en, zh) = match value {
            Ok(n) => return Some(n),
            Err(CountProblem::Empty) => (format!("{name} is empty"), format!("「{name}」为空")),
            Err(CountProblem::NotANumber) => {
                (format!("{name} \"{shown}\" is not a number"), format!("「{name}」“{shown}”不是数字"))
            }
            Err(CountProblem::NotWhole) => {
                (format!("{name} \"{shown}\" is not a whole number"), format!("「{name}」“{shown}”不是整数"))
            }
            Err(CountProblem::OutOfRange) => (
                format!("{name} \"{shown}\" is out of range: a group has 1 to {MAX_MEMBERS} members"),
                format!("「{name}」“{shown}”超出范围：一个群应有 1 到 {MAX_MEMBERS} 人"),
            ),
        };
        self.refuse(column, en, zh);
        None
    }
}

enum CountProblem {
    Empty,
    NotANumber,
    NotWhole,
    OutOfRange,
}

fn count_from_text(ascii: &str) -> Result<u32, CountProblem> {
    if ascii.is_empty() {
        return Err(CountProblem::Empty);
    }
    let (negative, unsigned) = match ascii.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, ascii.strip_prefix('+').unwrap_or(ascii)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return Err(CountProblem::NotANumber);
    }
    if fraction.bytes().any(|b| b != b'0') {
        return Err(CountProblem::NotWhole);
    }
    let whole = whole.trim_start_matches('0');
    if negative && !whole.is_empty() {
        return Err(CountProblem::OutOfRange);
    }
    match whole.parse::<u32>() {
        Ok(n) if (1..=MAX_MEMBERS).contains(&n) => Ok(n),
        _ => Err(CountProblem::OutOfRange),
    }
}

fn count_from_number(f: f64) -> Result<u32, CountProblem> {
    if !f.is_finite() {
        Err(CountProblem::NotANumber)
    } else if f.fract() != 0.0 {
        Err(CountProblem::NotWhole)
    } else if !(1.0..=MAX_MEMBERS as f64).contains(&f) {
        Err(CountProblem::OutOfRange)
    } else {
        Ok(f as u32)
    }
}

/// A row that is still a candidate group, with what is known of its problems.
struct Candidate {
    line: usize,
    row: Option<RosterRow>,
    group_id: Option<String>,
    id_column: String,
    errors: Vec<RowError>,
}

fn read_rows(
    header: &Header,
    rows: &[RawRow],
    source: Source,
    encoding: &'static str,
    sheet: Option<String>,
) -> ParsedRoster {
    let mut skipped = Vec::new();
    let mut candidates = Vec::new();
    for row in rows {
        if row.is_blank() {
            continue;
        }
        if let Some(skip) = totals_row(header, row) {
            skipped.push(skip);
            continue;
        }
        candidates.push(read_row(header, row, source));
    }
    refuse_rounded_ids(&mut candidates);
    refuse_duplicate_ids(&mut candidates);

    let mut parsed = ParsedRoster {
        rows: Vec::new(),
        refused: Vec::new(),
        skipped,
        encoding,
        sheet,
        header_line: header.line,
        ignored_columns: header.ignored.clone(),
    };
    for candidate in candidates {
        match candidate.row {
            Some(row) if candidate.errors.is_empty() => parsed.rows.push(row),
            _ => parsed.refused.extend(candidate.errors),
        }
    }
    parsed
}

fn read_row(header: &Header, row: &RawRow, source: Source) -> Candidate {
    use RosterColumn as C;
    let mut r = RowReader { header, row, errors: Vec::new() };

    let group_id = r.digits(C::GroupId, false);
    if group_id.is_none() && r.errors.is_empty() {
        let name = header.name(C::GroupId).to_string();
        r.refuse(C::GroupId, format!("{name} is empty"), format!("「{name}」为空"));
    }
    let group_name = r.text(C::GroupName, true, None);
    let leader_name = r.text(C::Leader, true, None);
    let leader_phone = r.digits(C::LeaderPhone, true);
    let ops_officer = r.text(C::OpsOfficer, false, None);
    let atmosphere_officer = r.text(C::AtmosphereOfficer, false, None);
    let member_count = r.member_count(C::MemberCount);
    let distributor_hint = match source {
        Source::Delimited(_) => Some((
            ". If these cells were merged in Excel, a CSV keeps the value only on the first row: fill it \
             in on every row, or import the .xlsx file instead",
            "。如果在 Excel 中合并了单元格，导出的 CSV 只在第一行保留内容：请在每一行都填上，或直接导入 .xlsx 文件",
        )),
        Source::Workbook => None,
    };
    let distributor = r.text(C::Distributor, true, distributor_hint);
    let tags = r.text(C::Tags, false, None);

    if let Source::Delimited(delimiter) = source {
        // An unclosed quote makes the CSV reader swallow the following lines into one cell.
        for (index, cell) in row.cells.iter().enumerate() {
            let swallowed = cell
                .text()
                .and_then(|s| s.split_once('\n'))
                .is_some_and(|(_, rest)| rest.contains(delimiter));
            if swallowed {
                let column = header
                    .columns
                    .values()
                    .find(|(i, _)| *i == index)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_else(|| format!("#{}", index + 1));
                r.errors.push(RowError {
                    line: row.line,
                    column: Some(column.clone()),
                    reason: format!(
                        "{column} runs over several lines and contains the separator \"{delimiter}\": a quote \
                         mark (\") that is never closed probably swallowed the rows after it; check the quotes"
                    ),
                    reason_zh: format!(
                        "「{column}」跨了多行且含有分隔符“{delimiter}”：可能有一个没有配对的引号（\"）把后面的行吞进了这一格，请检查引号"
                    ),
                });
            }
        }
    }

    let errors = std::mem::take(&mut r.errors);
    let id_column = header.name(C::GroupId).to_string();
    let parsed = match (&group_id, member_count) {
        (Some(group_id), Some(member_count)) => Some(RosterRow {
            line: row.line,
            group_id: group_id.clone(),
            group_name,
            leader_name,
            leader_phone,
            ops_officer,
            atmosphere_officer,
            member_count,
            distributor,
            tags,
        }),
        _ => None,
    };
    Candidate { line: row.line, row: parsed, group_id, id_column, errors }
}

/// A totals row: a cell reading 合计/总计/Total… and no group id, or numbers with no group id,
/// group name or leader.
fn totals_row(header: &Header, row: &RawRow) -> Option<SkippedRow> {
    use RosterColumn as C;
    let cell = |c: RosterColumn| header.index(c).map_or(&EMPTY, |i| row.cell(i));
    if !cell(C::GroupId).is_blank() && column_is_id_like(cell(C::GroupId)) {
        return None;
    }
    let label = row.cells.iter().filter_map(Cell::text).find(|s| is_totals_label(s));
    if let Some(label) = label {
        return Some(SkippedRow {
            line: row.line,
            reason: format!("totals row (\"{label}\"), not a group"),
            reason_zh: format!("合计行（“{label}”），不是群"),
        });
    }
    let has_number = row.cells.iter().any(|c| match c {
        Cell::Number(_) => true,
        Cell::Text(s) => {
            let a = normalise_number_text(s.trim());
            !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        }
        _ => false,
    });
    if cell(C::GroupId).is_blank()
        && cell(C::GroupName).is_blank()
        && cell(C::Leader).is_blank()
        && has_number
    {
        return Some(SkippedRow {
            line: row.line,
            reason: "totals row (numbers but no group id, group name or leader), not a group".into(),
            reason_zh: "合计行（只有数字，没有群ID、群名称和群主），不是群".into(),
        });
    }
    None
}

fn column_is_id_like(cell: &Cell) -> bool {
    match cell {
        Cell::Number(_) => true,
        Cell::Text(s) => {
            let a = normalise_number_text(s.trim());
            !a.is_empty() && (a.bytes().all(|b| b.is_ascii_digit()) || is_scientific(&a))
        }
        _ => false,
    }
}

fn is_totals_label(s: &str) -> bool {
    let key: String = fold_width(s)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, ':' | '：'))
        .flat_map(char::to_lowercase)
        .collect();
    key == "sum"
        || ["合计", "总计", "小计", "汇总", "总数", "total", "subtotal", "grandtotal"]
            .iter()
            .any(|l| key.starts_with(l))
}

/// When every id of 16+ digits in the file ends in zeros past the 15th digit (and there are at
/// least two), a Number-formatted Excel column rounded them: refuse those rows.
fn refuse_rounded_ids(candidates: &mut [Candidate]) {
    let long: Vec<usize> = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| c.group_id.as_ref().is_some_and(|id| id.len() > EXCEL_DIGITS))
        .map(|(i, _)| i)
        .collect();
    let rounded = |id: &str| id[EXCEL_DIGITS..].bytes().all(|b| b == b'0');
    if long.len() < 2 || !long.iter().all(|&i| rounded(candidates[i].group_id.as_deref().unwrap_or(""))) {
        return;
    }
    for i in long {
        let c = &mut candidates[i];
        let id = c.group_id.take().unwrap_or_default();
        let name = &c.id_column;
        c.errors.push(RowError {
            line: c.line,
            column: Some(name.clone()),
            reason: format!(
                "{name} \"{id}\" ends in zeros after the {EXCEL_DIGITS}th digit, like every long id in this \
                 file: Excel rounded these numbers and their last digits are lost. In Excel, format the \
                 {name} column as Text (Format Cells → Text), enter the full ids again and export again"
            ),
            reason_zh: format!(
                "「{name}」“{id}”第 {EXCEL_DIGITS} 位之后全是 0（本文件所有长号码都是这样）：Excel 已把号码四舍五入，\
                 末尾的数字已经丢失。请在 Excel 中把「{name}」列设置为文本格式（设置单元格格式 → 文本），重新填入完整号码后再导出"
            ),
        });
    }
}

fn refuse_duplicate_ids(candidates: &mut [Candidate]) {
    let mut first: HashMap<String, usize> = HashMap::new();
    for c in candidates.iter_mut() {
        let Some(id) = c.group_id.clone() else { continue };
        match first.get(&id) {
            Some(&line) => {
                let name = &c.id_column;
                let this = c.line;
                c.errors.push(RowError {
                    line: this,
                    column: Some(name.clone()),
                    reason: format!(
                        "{name} {id} appears twice in this file, on line {line} and on line {this}; \
                         line {this} was not imported"
                    ),
                    reason_zh: format!(
                        "「{name}」{id} 在文件中出现两次：第 {line} 行和第 {this} 行；第 {this} 行未导入"
                    ),
                });
            }
            None => {
                first.insert(id, c.line);
            }
        }
    }
}

// ---- small helpers ---------------------------------------------------------------------------

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space to ASCII.
fn fold_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}')
}

/// For id, phone and count cells only: full-width to ASCII, invisible characters dropped, trimmed.
fn normalise_number_text(s: &str) -> String {
    fold_width(s).chars().filter(|c| !is_invisible(*c)).collect::<String>().trim().to_string()
}

/// Line terminators: `\n`, `\r\n` or a lone `\r`.
fn count_line_breaks(s: &str) -> usize {
    let bytes = s.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count()
}

/// `1.68885E+18`, `1E10`, `-2.5e-3`.
fn is_scientific(s: &str) -> bool {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else { return false };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
        && !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
}

/// A number as Excel would show it in a General cell, near enough for messages and text columns.
fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}
