//! The roster parser against rosters as people really export them from Excel
//! (`tests/fixtures/roster/`, copied from the team's shared real-world cases), plus small inline cases.

use std::io::Write;

use fenduo_hub::roster::{parse_roster, ParsedRoster, RosterColumn, RosterError, RosterRow, RowError};

fn case(name: &str) -> Vec<u8> {
    fenduo_tests::roster_case(name)
}

#[allow(clippy::too_many_arguments)]
fn row(
    line: usize,
    group_id: &str,
    group_name: &str,
    leader_name: &str,
    leader_phone: Option<&str>,
    ops_officer: &str,
    atmosphere_officer: &str,
    member_count: u32,
    distributor: &str,
    tags: &str,
) -> RosterRow {
    RosterRow {
        line,
        group_id: group_id.into(),
        group_name: group_name.into(),
        leader_name: leader_name.into(),
        leader_phone: leader_phone.map(Into::into),
        ops_officer: ops_officer.into(),
        atmosphere_officer: atmosphere_officer.into(),
        member_count,
        distributor: distributor.into(),
        tags: tags.into(),
    }
}

/// The five groups both CSV cases hold, with the two names that differ between them.
fn five_groups(kitchen: &str, beauty: &str) -> Vec<RosterRow> {
    vec![
        row(
            2,
            "1688850012345678901",
            "营养生活·天河1群",
            "陈秀英",
            Some("13800138000"),
            "李娜",
            "王芳",
            86,
            "广州天河体验馆",
            "营养,老客户",
        ),
        row(
            3,
            "1688850012345678902",
            kitchen,
            "黄建国",
            Some("13900139001"),
            "周敏",
            "",
            45,
            "番禺工作室",
            "新客",
        ),
        row(
            4,
            "1688850012345678903",
            beauty,
            "林晓红",
            Some("13700137002"),
            "吴静",
            "郑丽",
            100,
            "越秀工作室",
            "美容",
        ),
        row(
            5,
            "1688850012345678904",
            "亲子运动打卡４群",
            "何志强",
            Some("13600136003"),
            "许婷",
            "冯雪",
            72,
            "广州天河体验馆",
            "亲子，运动",
        ),
        row(
            6,
            "1688850012345678905",
            "“晨跑”俱乐部5群",
            "梁慧敏",
            Some("13500135004"),
            "",
            "",
            40,
            "海珠工作室",
            "",
        ),
    ]
}

fn parse_ok(name: &str, bytes: &[u8]) -> ParsedRoster {
    parse_roster(name, bytes).unwrap_or_else(|e| panic!("{name} should parse, got: {e}"))
}

fn lines(errors: &[RowError]) -> Vec<(usize, Option<&str>)> {
    errors.iter().map(|e| (e.line, e.column.as_deref())).collect()
}

// ---- the shared case files -------------------------------------------------------------------

#[test]
fn excel_gbk_csv_imports_every_group() {
    let parsed = parse_ok("excel-gbk.csv", &case("excel-gbk.csv"));
    assert_eq!(parsed.encoding, "gb18030");
    assert_eq!(parsed.header_line, 1);
    // GBK cannot hold the emoji: Excel wrote `?`, and it stays as written.
    assert_eq!(parsed.rows, five_groups("健康小厨?番禺2群", "美丽人生越秀3群"));
    assert_eq!(parsed.refused, vec![]);
    assert_eq!(parsed.skipped, vec![]);
    assert_eq!(parsed.ignored_columns, Vec::<String>::new());
}

#[test]
fn excel_utf8_bom_csv_keeps_emoji_and_zero_width_space() {
    let parsed = parse_ok("excel-utf8-bom.csv", &case("excel-utf8-bom.csv"));
    assert_eq!(parsed.encoding, "utf-8-bom");
    assert_eq!(parsed.rows, five_groups("健康小厨🍲番禺2群", "美丽人生\u{200B}越秀3群"));
    assert_eq!(parsed.rows[2].group_name.chars().count(), 9, "the zero-width space is kept in the name");
    assert_eq!(parsed.refused, vec![]);
    assert_eq!(parsed.skipped, vec![]);
}

#[test]
fn excel_scientific_notation_csv_refuses_rows_whose_digits_are_lost() {
    let parsed = parse_ok("excel-scientific-notation.csv", &case("excel-scientific-notation.csv"));
    assert_eq!(parsed.encoding, "utf-8-bom");
    assert_eq!(parsed.rows, vec![]);
    assert_eq!(parsed.refused_lines(), vec![2, 3]);
    assert_eq!(
        lines(&parsed.refused),
        vec![(2, Some("群ID")), (2, Some("群主手机")), (3, Some("群ID")), (3, Some("群主手机"))]
    );
    for e in &parsed.refused {
        assert!(e.reason.contains("scientific notation"), "{}", e.reason);
        assert!(e.reason.contains("digits are lost"), "{}", e.reason);
        assert!(e.reason.contains("as Text"), "the fix is named: {}", e.reason);
        assert!(e.reason_zh.contains("科学计数法") && e.reason_zh.contains("文本"), "{}", e.reason_zh);
    }
    assert!(parsed.refused[0].reason.contains("\"1.68885E+18\""), "{}", parsed.refused[0].reason);
    assert!(parsed.refused[1].reason.contains("\"1.38001E+10\""), "{}", parsed.refused[1].reason);
}

#[test]
fn excel_merged_cells_xlsx_carries_the_distributor_and_skips_the_totals() {
    let parsed = parse_ok("excel-merged-cells.xlsx", &case("excel-merged-cells.xlsx"));
    assert_eq!(parsed.encoding, "xlsx");
    assert_eq!(parsed.sheet.as_deref(), Some("客户群列表"));
    assert_eq!(parsed.header_line, 2, "the merged title row above the header is skipped");
    let tianhe = "广州天河体验馆";
    assert_eq!(
        parsed.rows,
        vec![
            row(
                3,
                "1688850012345678901",
                "营养生活·天河1群",
                "陈秀英",
                Some("13800138000"),
                "李娜",
                "王芳",
                86,
                tianhe,
                "营养,老客户"
            ),
            row(
                4,
                "1688850012345678906",
                "营养生活·天河6群",
                "赵伟",
                Some("13800138006"),
                "孙丽",
                "",
                63,
                tianhe,
                "营养"
            ),
            row(
                5,
                "1688850012345678907",
                "营养生活·天河7群",
                "钱明",
                Some("13800138007"),
                "",
                "刘洋",
                91,
                tianhe,
                ""
            ),
            row(
                6,
                "1688850012345678902",
                "健康小厨🍲番禺2群",
                "黄建国",
                Some("13900139001"),
                "周敏",
                "",
                45,
                "番禺工作室",
                "新客"
            ),
            row(
                7,
                "1688850012345678903",
                "美丽人生\u{200B}越秀3群",
                "林晓红",
                Some("13700137002"),
                "吴静",
                "郑丽",
                100,
                "越秀工作室",
                "美容"
            ),
        ]
    );
    assert_eq!(parsed.refused, vec![]);
    // Row 8 is blank (skipped silently); row 9 is the totals row.
    assert_eq!(parsed.skipped.iter().map(|s| s.line).collect::<Vec<_>>(), vec![9]);
    assert!(parsed.skipped[0].reason.contains("totals") && parsed.skipped[0].reason.contains("合计"));
}

// ---- inline cases ----------------------------------------------------------------------------

const HEADER: &str = "群名称,群ID,群主,群主手机,运营官,气氛官,群人数,经销商\n";

fn csv(body: &str) -> ParsedRoster {
    parse_ok("inline.csv", format!("{HEADER}{body}").as_bytes())
}

#[test]
fn full_width_digits_in_ids_and_counts_become_ascii_but_names_stay() {
    let parsed = csv("亲子４群,１２３４５６,何志强,１３６００１３６００３,许婷,冯雪,７２,工作室\n");
    assert_eq!(parsed.refused, vec![]);
    assert_eq!(
        parsed.rows,
        vec![row(2, "123456", "亲子４群", "何志强", Some("13600136003"), "许婷", "冯雪", 72, "工作室", "")]
    );
}

#[test]
fn member_counts_accept_whole_numbers_written_with_decimals_and_refuse_the_rest() {
    let parsed = csv("A群,1,甲,,,,100.0,经销商甲\n\
         B群,2,乙,,,,100,经销商甲\n\
         C群,3,丙,,,,72.5,经销商甲\n\
         D群,4,丁,,,,0,经销商甲\n\
         E群,5,戊,,,,-3,经销商甲\n\
         F群,6,己,,,,501,经销商甲\n\
         G群,7,庚,,,,七十,经销商甲\n\
         H群,8,辛,,,,,经销商甲\n");
    assert_eq!(
        parsed.rows.iter().map(|r| (r.line, r.member_count)).collect::<Vec<_>>(),
        vec![(2, 100), (3, 100)]
    );
    assert_eq!(parsed.rows[0].leader_phone, None);
    let reasons: Vec<(usize, &str)> = parsed.refused.iter().map(|e| (e.line, e.reason.as_str())).collect();
    assert_eq!(
        reasons,
        vec![
            (4, "群人数 \"72.5\" is not a whole number"),
            (5, "群人数 \"0\" is out of range: a group has 1 to 500 members"),
            (6, "群人数 \"-3\" is out of range: a group has 1 to 500 members"),
            (7, "群人数 \"501\" is out of range: a group has 1 to 500 members"),
            (8, "群人数 \"七十\" is not a number"),
            (9, "群人数 is empty"),
        ]
    );
    assert!(parsed.refused.iter().all(|e| e.column.as_deref() == Some("群人数")));
}

#[test]
fn a_missing_required_column_names_it_in_both_languages() {
    let err =
        parse_roster("roster.csv", "群名称,群主,群人数,经销商\nA群,甲,50,经销商甲\n".as_bytes()).unwrap_err();
    assert_eq!(err, RosterError::MissingColumns { missing: vec![RosterColumn::GroupId] });
    assert_eq!(err.to_string(), "missing required column: 群ID (group id)");
    assert_eq!(err.message_zh(), "缺少必需的列：群ID");

    let err = parse_roster("roster.csv", b"Group ID,Group name\n1,A\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "missing required columns: 群主 (leader), 群人数 (member count), 经销商 (distributor)"
    );
}

#[test]
fn english_headers_and_a_title_row_are_understood() {
    let text = "Roster export 2026-11-26\n\
                Group ID,Group Name,Leader,Phone,Ops officer,Atmosphere officer,Members,Distributor,Note\n\
                1688850012345678901,Tianhe 1,Chen,13800138000,Li,Wang,86,tianhe-hall,x\n";
    let parsed = parse_ok("roster.csv", text.as_bytes());
    assert_eq!(parsed.encoding, "utf-8");
    assert_eq!(parsed.header_line, 2);
    assert_eq!(parsed.ignored_columns, vec!["Note".to_string()]);
    assert_eq!(
        parsed.rows,
        vec![row(
            3,
            "1688850012345678901",
            "Tianhe 1",
            "Chen",
            Some("13800138000"),
            "Li",
            "Wang",
            86,
            "tianhe-hall",
            ""
        )]
    );
}

#[test]
fn a_duplicate_group_id_refuses_the_second_row_naming_both_lines() {
    let parsed = csv("A群,1688850012345678901,甲,,,,50,经销商甲\n\
         B群,1688850012345678902,乙,,,,60,经销商甲\n\
         \n\
         C群,1688850012345678901,丙,,,,70,经销商乙\n");
    assert_eq!(parsed.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 3]);
    assert_eq!(lines(&parsed.refused), vec![(5, Some("群ID"))]);
    let reason = &parsed.refused[0].reason;
    assert!(reason.contains("line 2") && reason.contains("line 5"), "{reason}");
    assert!(
        parsed.refused[0].reason_zh.contains("第 2 行") && parsed.refused[0].reason_zh.contains("第 5 行")
    );
}

#[test]
fn line_numbers_match_excel_rows_across_quoted_line_breaks() {
    let parsed = csv("\"多行\n名称\",11,甲,,,,50,经销商甲\nB群,12,乙,,,,xx,经销商甲\n");
    assert_eq!(parsed.rows[0].group_name, "多行\n名称");
    assert_eq!(lines(&parsed.refused), vec![(3, Some("群人数"))]);
}

#[test]
fn line_numbers_count_blank_lines_with_crlf() {
    let text = format!(
        "{}\r\n\r\nA群,51,甲,,,,50,经销商甲\r\n\r\n\r\nB群,52,乙,,,,50,经销商甲\r\n",
        HEADER.trim_end()
    );
    let parsed = parse_ok("roster.csv", text.as_bytes());
    assert_eq!(parsed.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 6]);
}

#[test]
fn an_unclosed_quote_that_swallows_rows_is_refused() {
    let parsed = csv("A群,61,\"甲,,,,50,经销商甲\nB群,62,乙,,,,50,经销商甲\n");
    assert_eq!(parsed.rows, vec![]);
    assert_eq!(parsed.refused_lines(), vec![2]);
    let swallowed =
        parsed.refused.iter().find(|e| e.column.as_deref() == Some("群主")).expect("群主 refused");
    assert!(swallowed.reason.contains("quote"), "{}", swallowed.reason);
}

#[test]
fn required_cells_must_be_filled_and_a_csv_distributor_gets_the_merge_hint() {
    let parsed = csv(",21,,,,,50,\n");
    assert_eq!(lines(&parsed.refused), vec![(2, Some("群名称")), (2, Some("群主")), (2, Some("经销商"))]);
    assert!(parsed.refused[2].reason.contains("merged"), "{}", parsed.refused[2].reason);
}

#[test]
fn ids_must_be_digits() {
    let parsed = csv("A群,wrOgQhDg,甲,,,,50,经销商甲\nB群,1234-5,乙,,,,50,经销商甲\n");
    assert_eq!(parsed.rows, vec![]);
    assert_eq!(lines(&parsed.refused), vec![(2, Some("群ID")), (3, Some("群ID"))]);
    assert!(parsed.refused[0].reason.contains("digits only"));
}

#[test]
fn long_ids_all_rounded_to_fifteen_digits_are_refused() {
    // What a Number-formatted Excel column exports: the digits past the 15th became zeros.
    let parsed =
        csv("A群,1688850012345670000,甲,,,,50,经销商甲\nB群,1688850012345680000,乙,,,,50,经销商甲\n");
    assert_eq!(parsed.rows, vec![]);
    assert_eq!(lines(&parsed.refused), vec![(2, Some("群ID")), (3, Some("群ID"))]);
    assert!(parsed.refused[0].reason.contains("rounded"), "{}", parsed.refused[0].reason);
    // One such id among real ones is just an id that ends in zeros.
    let parsed =
        csv("A群,1688850012345670000,甲,,,,50,经销商甲\nB群,1688850012345678902,乙,,,,50,经销商甲\n");
    assert_eq!(parsed.rows.len(), 2);
}

#[test]
fn totals_rows_are_skipped_and_reported() {
    let parsed = csv("A群,31,甲,,,,50,经销商甲\n合计,,,,,,50,\n,,,,,,50,\n");
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.refused, vec![]);
    assert_eq!(parsed.skipped.iter().map(|s| s.line).collect::<Vec<_>>(), vec![3, 4]);
}

#[test]
fn tab_separated_utf16_unicode_text_is_read() {
    let text = "群名称\t群ID\t群主\t群人数\t经销商\r\n健康小厨🍲番禺2群\t1688850012345678902\t黄建国\t45\t番禺工作室\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let parsed = parse_ok("roster.txt", &bytes);
    assert_eq!(parsed.encoding, "utf-16le");
    assert_eq!(
        parsed.rows,
        vec![row(
            2,
            "1688850012345678902",
            "健康小厨🍲番禺2群",
            "黄建国",
            None,
            "",
            "",
            45,
            "番禺工作室",
            ""
        )]
    );
}

#[test]
fn non_roster_files_are_refused_whole() {
    assert_eq!(
        parse_roster("photo.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").unwrap_err().code(),
        "roster_unknown_format"
    );
    let err = parse_roster("notes.txt", "周六直播注意事项\n请提前十分钟进群\n".as_bytes()).unwrap_err();
    assert_eq!(err, RosterError::NoHeader);
    assert!(err.to_string().contains("群ID (group id)"), "the expected columns are named: {err}");
    assert!(err.message_zh().contains("群ID"));
    assert_eq!(parse_roster("empty.csv", b"").unwrap_err(), RosterError::Empty);
    assert_eq!(
        parse_roster("old.xls", b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0").unwrap_err().code(),
        "roster_unknown_format"
    );
    assert_eq!(parse_roster("fake.xlsx", b"group id,name\n").unwrap_err().code(), "roster_unknown_format");
    assert_eq!(
        parse_roster("broken.xlsx", b"PK\x03\x04garbage").unwrap_err().code(),
        "roster_unknown_format"
    );
}

#[test]
fn text_that_does_not_decode_is_refused_not_guessed() {
    // 0x80 and 0xFF are not valid lead bytes in GB18030, and the text is not UTF-8 either.
    let mut bytes = "群名称,群ID,群主,群人数,经销商\n".as_bytes().to_vec();
    bytes.extend_from_slice(b"\xFF\x80\xFF,1,a,5,b\n");
    let err = parse_roster("roster.csv", &bytes).unwrap_err();
    assert_eq!(err.code(), "roster_undecodable");
    // Text already damaged by an earlier conversion.
    let err =
        parse_roster("roster.csv", "群名称,群ID,群主,群人数,经销商\n\u{FFFD}\u{FFFD}群,1,a,5,b\n".as_bytes())
            .unwrap_err();
    assert_eq!(err.code(), "roster_undecodable");
}

// ---- inline workbooks ------------------------------------------------------------------------

/// A minimal .xlsx with one sheet holding `sheet_data` (the `<sheetData>` children) and `merges`
/// (`A1:B2` refs).
fn xlsx(sheet_data: &str, merges: &[&str]) -> Vec<u8> {
    workbook(&[("Sheet1", sheet_data, merges)])
}

/// A minimal .xlsx with these sheets: (name, `<sheetData>` children, merged refs).
fn workbook(sheets: &[(&str, &str, &[&str])]) -> Vec<u8> {
    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
    const NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    const PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
    const CT: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml";
    let mut files: Vec<(String, String)> = Vec::new();
    let overrides: String = (1..=sheets.len())
        .map(|i| {
            format!("<Override PartName=\"/xl/worksheets/sheet{i}.xml\" ContentType=\"{CT}.worksheet+xml\"/>")
        })
        .collect();
    files.push((
        "[Content_Types].xml".into(),
        format!(
            "{XML}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"{CT}.sheet.main+xml\"/>{overrides}</Types>"
        ),
    ));
    files.push((
        "_rels/.rels".into(),
        format!(
            "{XML}<Relationships xmlns=\"{PKG_REL}\"><Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" \
             Target=\"xl/workbook.xml\"/></Relationships>"
        ),
    ));
    let sheet_list: String = (1..=sheets.len())
        .map(|i| format!("<sheet name=\"{}\" sheetId=\"{i}\" r:id=\"rId{i}\"/>", sheets[i - 1].0))
        .collect();
    files.push((
        "xl/workbook.xml".into(),
        format!("{XML}<workbook xmlns=\"{NS}\" xmlns:r=\"{REL}\"><sheets>{sheet_list}</sheets></workbook>"),
    ));
    let rels: String = (1..=sheets.len())
        .map(|i| {
            format!(
                "<Relationship Id=\"rId{i}\" Type=\"{REL}/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"
            )
        })
        .collect();
    files.push((
        "xl/_rels/workbook.xml.rels".into(),
        format!("{XML}<Relationships xmlns=\"{PKG_REL}\">{rels}</Relationships>"),
    ));
    for (i, (_, data, merges)) in sheets.iter().enumerate() {
        let merge_xml = if merges.is_empty() {
            String::new()
        } else {
            let cells: String = merges.iter().map(|m| format!("<mergeCell ref=\"{m}\"/>")).collect();
            format!("<mergeCells count=\"{}\">{cells}</mergeCells>", merges.len())
        };
        files.push((
            format!("xl/worksheets/sheet{}.xml", i + 1),
            format!("{XML}<worksheet xmlns=\"{NS}\"><sheetData>{data}</sheetData>{merge_xml}</worksheet>"),
        ));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in files {
        zip.start_file(name, options).expect("zip entry");
        zip.write_all(body.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip finish").into_inner()
}

fn s(cell: &str, text: &str) -> String {
    format!("<c r=\"{cell}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
}

fn n(cell: &str, value: &str) -> String {
    format!("<c r=\"{cell}\"><v>{value}</v></c>")
}

fn header_row() -> String {
    format!(
        "<row r=\"1\">{}{}{}{}{}</row>",
        s("A1", "群ID"),
        s("B1", "群名称"),
        s("C1", "群主"),
        s("D1", "群人数"),
        s("E1", "经销商")
    )
}

#[test]
fn xlsx_numeric_ids_with_more_than_fifteen_digits_are_refused() {
    let data = format!(
        "{}<row r=\"2\">{}{}{}{}{}</row><row r=\"3\">{}{}{}{}{}</row>",
        header_row(),
        n("A2", "1.68885001234568E+18"),
        s("B2", "A群"),
        s("C2", "甲"),
        n("D2", "100.0"),
        s("E2", "经销商甲"),
        n("A3", "10001"),
        s("B3", "B群"),
        s("C3", "乙"),
        n("D3", "72"),
        s("E3", "经销商甲"),
    );
    let parsed = parse_ok("roster.xlsx", &xlsx(&data, &[]));
    assert_eq!(parsed.rows, vec![row(3, "10001", "B群", "乙", None, "", "", 72, "经销商甲", "")]);
    assert_eq!(lines(&parsed.refused), vec![(2, Some("群ID"))]);
    assert!(parsed.refused[0].reason.contains("15 significant digits"), "{}", parsed.refused[0].reason);
}

#[test]
fn xlsx_merged_values_are_carried_only_inside_the_region_and_not_into_blank_rows() {
    let group = |r: u32, id: &str, dist: Option<&str>| {
        format!(
            "<row r=\"{r}\">{}{}{}{}{}</row>",
            s(&format!("A{r}"), id),
            s(&format!("B{r}"), &format!("{id}群")),
            s(&format!("C{r}"), "甲"),
            n(&format!("D{r}"), "50"),
            dist.map(|d| s(&format!("E{r}"), d)).unwrap_or_default()
        )
    };
    // E2:E5 is merged, but row 4 is blank and row 6 lies outside the region.
    let data = format!(
        "{}{}{}{}{}",
        header_row(),
        group(2, "41", Some("经销商甲")),
        group(3, "42", None),
        group(5, "43", None),
        group(6, "44", None)
    );
    let parsed = parse_ok("roster.xlsx", &xlsx(&data, &["E2:E5"]));
    assert_eq!(
        parsed.rows.iter().map(|r| (r.line, r.distributor.as_str())).collect::<Vec<_>>(),
        vec![(2, "经销商甲"), (3, "经销商甲"), (5, "经销商甲")]
    );
    assert_eq!(lines(&parsed.refused), vec![(6, Some("经销商"))]);
    assert!(!parsed.refused[0].reason.contains("CSV"), "no CSV hint for a workbook");
}

#[test]
fn xlsx_reads_the_roster_sheet_beside_a_summary_and_refuses_two_rosters() {
    let roster = format!(
        "{}<row r=\"2\">{}{}{}{}{}</row>",
        header_row(),
        s("A2", "1688850012345678901"),
        s("B2", "A群"),
        s("C2", "甲"),
        n("D2", "86"),
        s("E2", "经销商甲")
    );
    let summary = format!(
        "<row r=\"1\">{}{}</row><row r=\"2\">{}{}</row>",
        s("A1", "经销商"),
        s("B1", "群人数"),
        s("A2", "经销商甲"),
        n("B2", "86")
    );
    let parsed = parse_ok("roster.xlsx", &workbook(&[("汇总", &summary, &[]), ("名单", &roster, &[])]));
    assert_eq!(parsed.sheet.as_deref(), Some("名单"));
    assert_eq!(
        parsed.rows.iter().map(|r| r.group_id.as_str()).collect::<Vec<_>>(),
        vec!["1688850012345678901"]
    );

    let err = parse_roster("roster.xlsx", &workbook(&[("天河", &roster, &[]), ("番禺", &roster, &[])]))
        .unwrap_err();
    assert_eq!(err, RosterError::SeveralSheets { sheets: vec!["天河".into(), "番禺".into()] });

    // Only a summary: the header found is missing columns, and the error says which.
    let err = parse_roster("roster.xlsx", &workbook(&[("汇总", &summary, &[])])).unwrap_err();
    assert_eq!(
        err,
        RosterError::MissingColumns {
            missing: vec![RosterColumn::GroupId, RosterColumn::GroupName, RosterColumn::Leader]
        }
    );
}

/// QA found that one stray cell at the sheet's far corner (a 1.7 KB file) made the reader ask
/// for a 512 GiB grid and abort the hub; such a workbook is refused before it is read.
#[test]
fn a_stray_cell_at_the_far_corner_is_refused_not_read() {
    let data = format!(
        "{}<row r=\"2\">{}{}{}{}{}</row><row r=\"1048576\">{}</row>",
        header_row(),
        s("A2", "10001"),
        s("B2", "A群"),
        s("C2", "甲"),
        n("D2", "50"),
        s("E2", "经销商甲"),
        s("XFD1048576", "x")
    );
    let err = parse_roster("corner.xlsx", &xlsx(&data, &[])).unwrap_err();
    assert_eq!(err.code(), "roster_too_large");
    assert!(err.to_string().contains("row 1048576"), "{err}");
    assert!(err.message_zh().contains("多余单元格"), "{}", err.message_zh());
}
