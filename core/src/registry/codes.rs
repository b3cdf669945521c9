//! The code lists the registry's fields take, after GB/T 31000-2015 (社会治安综合治理基础数据
//! 规范) and the national standards it refers to (GB/T 2261.1 sex, GB 3304 ethnic groups,
//! GB/T 4761 family relations). Each entry is a stable wire code and its Chinese label; input
//! may give either (a county office's spreadsheet holds labels), answers give the code.

/// One entry of a code list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Code {
    /// The wire code.
    pub code: &'static str,
    /// The Chinese label.
    pub zh: &'static str,
}

const fn c(code: &'static str, zh: &'static str) -> Code {
    Code { code, zh }
}

/// The code whose code or label is `text` (exact, after trimming).
///
/// ```
/// use wangge_core::registry::codes::{find, SEX};
/// assert_eq!(find(SEX, "女").map(|c| c.code), Some("female"));
/// assert_eq!(find(SEX, "male").map(|c| c.zh), Some("男"));
/// assert!(find(SEX, "x").is_none());
/// ```
pub fn find(list: &'static [Code], text: &str) -> Option<Code> {
    let t = text.trim();
    list.iter().copied().find(|c| c.code == t || c.zh == t)
}

/// The Chinese label of a code, or the code itself when the list does not hold it.
pub fn label(list: &'static [Code], code: &str) -> String {
    list.iter().find(|c| c.code == code).map_or_else(|| code.to_owned(), |c| c.zh.to_owned())
}

/// 实有人口类别: the four kinds of residents.
pub const PERSON_KIND: &[Code] = &[
    c("registered", "户籍人口"),
    c("floating", "流动人口"),
    c("left_behind", "留守人员"),
    c("foreign", "境外人员"),
];

/// 性别 (GB/T 2261.1, as the ID number says it).
pub const SEX: &[Code] = &[c("male", "男"), c("female", "女")];

/// 民族 (GB 3304-1991, its two-digit codes).
pub const ETHNICITY: &[Code] = &[
    c("01", "汉族"), c("02", "蒙古族"), c("03", "回族"), c("04", "藏族"), c("05", "维吾尔族"),
    c("06", "苗族"), c("07", "彝族"), c("08", "壮族"), c("09", "布依族"), c("10", "朝鲜族"),
    c("11", "满族"), c("12", "侗族"), c("13", "瑶族"), c("14", "白族"), c("15", "土家族"),
    c("16", "哈尼族"), c("17", "哈萨克族"), c("18", "傣族"), c("19", "黎族"), c("20", "傈僳族"),
    c("21", "佤族"), c("22", "畲族"), c("23", "高山族"), c("24", "拉祜族"), c("25", "水族"),
    c("26", "东乡族"), c("27", "纳西族"), c("28", "景颇族"), c("29", "柯尔克孜族"), c("30", "土族"),
    c("31", "达斡尔族"), c("32", "仫佬族"), c("33", "羌族"), c("34", "布朗族"), c("35", "撒拉族"),
    c("36", "毛南族"), c("37", "仡佬族"), c("38", "锡伯族"), c("39", "阿昌族"), c("40", "普米族"),
    c("41", "塔吉克族"), c("42", "怒族"), c("43", "乌孜别克族"), c("44", "俄罗斯族"), c("45", "鄂温克族"),
    c("46", "德昂族"), c("47", "保安族"), c("48", "裕固族"), c("49", "京族"), c("50", "塔塔尔族"),
    c("51", "独龙族"), c("52", "鄂伦春族"), c("53", "赫哲族"), c("54", "门巴族"), c("55", "珞巴族"),
    c("56", "基诺族"), c("97", "其他"), c("98", "外国血统中国籍人士"),
];

/// 与户主关系 (GB/T 4761-2008, its first-level codes).
pub const RELATION: &[Code] = &[
    c("02", "户主"), c("10", "配偶"), c("20", "子"), c("30", "女"), c("40", "孙子女"),
    c("50", "父母"), c("60", "祖父母"), c("70", "兄弟姐妹"), c("80", "其他亲属"), c("99", "非亲属"),
];

/// 流入原因 of a floating resident.
pub const FLOATING_REASON: &[Code] = &[
    c("work", "务工"), c("business", "经商"), c("study", "学习培训"), c("family", "投亲靠友"),
    c("service", "服务"), c("other", "其他"),
];

/// 留守类型 of a left-behind person.
pub const LEFT_BEHIND: &[Code] = &[c("children", "留守儿童"), c("elderly", "留守老人"), c("women", "留守妇女")];

/// 房屋用途.
pub const HOUSE_USE: &[Code] = &[
    c("residential", "住宅"), c("commercial", "商业"), c("office", "办公"), c("industrial", "工业"),
    c("mixed", "商住"), c("public", "公共设施"), c("other", "其他"),
];

/// 居住情况 of a house.
pub const OCCUPANCY: &[Code] = &[
    c("owner", "自住"), c("rented", "出租"), c("vacant", "空置"), c("lent", "借住"), c("other", "其他"),
];

/// 户别.
pub const HOUSEHOLD_TYPE: &[Code] = &[c("family", "家庭户"), c("collective", "集体户")];

/// 组织类型: non-public economic organisations and social organisations.
pub const ORGANISATION_TYPE: &[Code] = &[
    c("enterprise", "非公有制企业"), c("individual", "个体工商户"), c("association", "社会团体"),
    c("private_nonprofit", "民办非企业单位"), c("foundation", "基金会"), c("other", "其他组织"),
];

/// 场所/部位类别.
pub const PLACE_TYPE: &[Code] = &[
    c("hazard_point", "安全隐患点"), c("key_site", "重点场所"), c("public_venue", "公共场所"),
    c("key_part", "重点部位"), c("rental", "出租房屋聚集点"), c("other", "其他"),
];

/// 风险等级.
pub const RISK_LEVEL: &[Code] = &[c("high", "高"), c("medium", "中"), c("low", "低")];

/// 特殊人群 and 重点青少年.
pub const GROUP: &[Code] = &[
    c("released_prisoner", "刑满释放人员"), c("community_correction", "社区矫正人员"),
    c("mental_disorder", "严重精神障碍患者"), c("drug_user", "吸毒人员"), c("aids", "艾滋病危险人员"),
    c("key_youth", "重点青少年"),
];

/// 矫正类别 of a community correction.
pub const CORRECTION_TYPE: &[Code] = &[
    c("control", "管制"), c("probation", "缓刑"), c("parole", "假释"), c("outside_prison", "暂予监外执行"),
];

/// 危险性评估等级 of a serious mental disorder (0–5, as the health office assesses it).
pub const DANGER_LEVEL: &[Code] = &[
    c("0", "0级"), c("1", "1级"), c("2", "2级"), c("3", "3级"), c("4", "4级"), c("5", "5级"),
];

/// 重点青少年类型.
pub const YOUTH_TYPE: &[Code] = &[
    c("idle", "闲散青少年"), c("bad_behaviour", "有不良行为青少年"), c("vagrant", "流浪乞讨未成年人"),
    c("prisoner_child", "服刑在教人员未成年子女"), c("left_behind_child", "农村留守儿童"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_labels_are_unique_in_every_list() {
        let lists: [&[Code]; 17] = [
            PERSON_KIND, SEX, ETHNICITY, RELATION, FLOATING_REASON, LEFT_BEHIND, HOUSE_USE, OCCUPANCY,
            HOUSEHOLD_TYPE, ORGANISATION_TYPE, PLACE_TYPE, RISK_LEVEL, GROUP, CORRECTION_TYPE, DANGER_LEVEL,
            YOUTH_TYPE, &ETHNICITY[..56],
        ];
        for list in lists {
            let mut codes: Vec<_> = list.iter().map(|c| c.code).collect();
            let mut labels: Vec<_> = list.iter().map(|c| c.zh).collect();
            codes.sort_unstable();
            labels.sort_unstable();
            let (n, m) = (codes.len(), labels.len());
            codes.dedup();
            labels.dedup();
            assert_eq!((codes.len(), labels.len()), (n, m));
        }
        assert_eq!(ETHNICITY[..56].len(), 56, "the 56 ethnic groups");
    }
}
