//! What the city is made of: its enforcement departments (in the order a
//! plan takes them), its towns, and each one's powers with their legal
//! bases. Data, not code: the laws are real, the sizes relative.
use probity_proto::registry::v1::PowerCategory;

/// The city (尚志市, Heilongjiang).
pub const CITY: &str = "尚志市";
pub const GOVERNMENT: &str = "尚志市人民政府";
/// Who issues an ordinary credential (行政执法证件).
pub const PROVINCE_ISSUER: &str = "黑龙江省人民政府";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cat {
    Penalty,
    Licensing,
    Compulsory,
    Inspection,
}

impl Cat {
    pub fn proto(self) -> PowerCategory {
        match self {
            Cat::Penalty => PowerCategory::Penalty,
            Cat::Licensing => PowerCategory::Licensing,
            Cat::Compulsory => PowerCategory::CompulsoryMeasure,
            Cat::Inspection => PowerCategory::Inspection,
        }
    }
}

/// An entry of a power-and-responsibility list (权责清单).
#[derive(Debug, Clone, Copy)]
pub struct PowerT {
    pub code: &'static str,
    pub name: &'static str,
    pub cat: Cat,
    pub law: &'static str,
    pub article: &'static str,
    /// The violation a penalty punishes; the measure a compulsory one takes.
    pub what: &'static str,
    /// The largest fine, in yuan (penalties only): the discretion benchmark
    /// divides it into the four grades.
    pub max_yuan: i64,
}

const fn cf(
    code: &'static str,
    name: &'static str,
    law: &'static str,
    article: &'static str,
    what: &'static str,
    max_yuan: i64,
) -> PowerT {
    PowerT {
        code,
        name,
        cat: Cat::Penalty,
        law,
        article,
        what,
        max_yuan,
    }
}

const fn jc(
    code: &'static str,
    name: &'static str,
    law: &'static str,
    article: &'static str,
) -> PowerT {
    PowerT {
        code,
        name,
        cat: Cat::Inspection,
        law,
        article,
        what: "",
        max_yuan: 0,
    }
}

const fn xk(
    code: &'static str,
    name: &'static str,
    law: &'static str,
    article: &'static str,
) -> PowerT {
    PowerT {
        code,
        name,
        cat: Cat::Licensing,
        law,
        article,
        what: "准予行政许可",
        max_yuan: 0,
    }
}

const fn qz(
    code: &'static str,
    name: &'static str,
    law: &'static str,
    article: &'static str,
    what: &'static str,
) -> PowerT {
    PowerT {
        code,
        name,
        cat: Cat::Compulsory,
        law,
        article,
        what,
        max_yuan: 0,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeptKind {
    Department,
    /// The legal-affairs office (司法局, formerly 法制办).
    LegalOffice,
    /// Managed vertically below the province (Art. 4).
    Vertical,
    /// 法律、法规授权的组织.
    Empowered,
    /// 受委托组织 (Art. 23), entrusted by the department with this code.
    Entrusted(&'static str),
}

#[derive(Debug, Clone, Copy)]
pub struct DeptT {
    /// Short ASCII code (pinyin initials): source ids and keys.
    pub code: &'static str,
    pub name: &'static str,
    /// Relative size (officers).
    pub size: u32,
    pub kind: DeptKind,
    pub units: &'static [&'static str],
    pub powers: &'static [PowerT],
    /// Who issues its officers' credentials.
    pub issuer: &'static str,
}

/// The departments, most important first: a plan of N departments takes
/// the first N (the legal-affairs office, the vertically managed tax bureau
/// and the entrusted brigade with its department come early).
#[rustfmt::skip]
pub const DEPARTMENTS: &[DeptT] = &[
    DeptT {
        code: "SCJG",
        name: "尚志市市场监督管理局",
        size: 12,
        kind: DeptKind::Department,
        units: &["食品安全监督管理科", "产品质量安全监督管理科", "执法稽查大队"],
        powers: &[
            cf("CF-001", "对生产经营不符合食品安全标准的食品的行政处罚", "《中华人民共和国食品安全法》", "第一百二十四条", "生产经营不符合食品安全标准的食品", 100_000),
            cf("CF-002", "对销售不合格产品的行政处罚", "《中华人民共和国产品质量法》", "第四十九条", "销售不符合保障人体健康和人身、财产安全标准的产品", 50_000),
            cf("CF-003", "对经营者不明码标价的行政处罚", "《中华人民共和国价格法》", "第四十二条", "未按照规定明码标价", 5_000),
            jc("JC-001", "食品生产经营监督检查", "《中华人民共和国食品安全法》", "第一百一十条"),
            jc("JC-002", "产品质量监督抽查", "《中华人民共和国产品质量法》", "第十五条"),
            xk("XK-001", "食品经营许可", "《中华人民共和国食品安全法》", "第三十五条"),
            qz("QZ-001", "查封、扣押不符合食品安全标准的食品", "《中华人民共和国食品安全法》", "第一百一十条", "扣押不符合食品安全标准的食品"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "CGZF",
        name: "尚志市城市管理综合行政执法局",
        size: 10,
        kind: DeptKind::Department,
        units: &["市容秩序执法大队", "违法建设查处大队", "法制审核科"],
        powers: &[
            cf("CF-001", "对未取得建设工程规划许可证进行建设的行政处罚", "《中华人民共和国城乡规划法》", "第六十四条", "未取得建设工程规划许可证进行建设", 200_000),
            cf("CF-002", "对随意倾倒、抛撒、堆放生活垃圾的行政处罚", "《中华人民共和国固体废物污染环境防治法》", "第一百一十一条", "随意倾倒、抛撒、堆放生活垃圾", 50_000),
            cf("CF-003", "对擅自设置大型户外广告的行政处罚", "《城市市容和环境卫生管理条例》", "第三十六条", "擅自设置大型户外广告，影响市容", 10_000),
            jc("JC-001", "市容环境卫生监督检查", "《城市管理执法办法》", "第二十一条"),
            qz("QZ-001", "查封违法建设施工现场", "《中华人民共和国城乡规划法》", "第六十八条", "查封施工现场"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "STHJ",
        name: "尚志市生态环境局",
        size: 6,
        kind: DeptKind::Department,
        units: &["生态环境保护综合行政执法大队", "环境影响评价与排放管理科"],
        powers: &[
            cf("CF-001", "对超过排放标准排放大气污染物的行政处罚", "《中华人民共和国大气污染防治法》", "第九十九条", "超过大气污染物排放标准排放大气污染物", 1_000_000),
            cf("CF-002", "对违法排放水污染物的行政处罚", "《中华人民共和国水污染防治法》", "第八十三条", "超过水污染物排放标准排放水污染物", 1_000_000),
            cf("CF-003", "对建设项目未依法报批环境影响评价文件擅自开工建设的行政处罚", "《中华人民共和国环境影响评价法》", "第三十一条", "未依法报批环境影响报告书擅自开工建设", 300_000),
            jc("JC-001", "排污单位现场检查", "《中华人民共和国环境保护法》", "第二十四条"),
            qz("QZ-001", "查封、扣押造成污染物排放的设施、设备", "《中华人民共和国环境保护法》", "第二十五条", "查封造成污染物排放的设施"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "SFJ",
        name: "尚志市司法局",
        size: 2,
        kind: DeptKind::LegalOffice,
        units: &["行政执法协调监督科", "律师工作管理科"],
        powers: &[
            cf("CF-001", "对律师违法执业的行政处罚", "《中华人民共和国律师法》", "第四十七条", "同时在两个以上律师事务所执业", 5_000),
            cf("CF-002", "对律师事务所违法执业的行政处罚", "《中华人民共和国律师法》", "第五十条", "违反规定接受委托、收取费用", 100_000),
            jc("JC-001", "律师事务所执业活动监督检查", "《律师事务所管理办法》", "第六十二条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "SWJ",
        name: "国家税务总局尚志市税务局",
        size: 7,
        kind: DeptKind::Vertical,
        units: &["稽查局", "征收管理股"],
        powers: &[
            cf("CF-001", "对未按照规定期限办理税务登记的行政处罚", "《中华人民共和国税收征收管理法》", "第六十条", "未按照规定的期限申报办理税务登记", 10_000),
            cf("CF-002", "对偷税行为的行政处罚", "《中华人民共和国税收征收管理法》", "第六十三条", "伪造、变造账簿、记账凭证少缴应纳税款", 500_000),
            cf("CF-003", "对未按照规定开具发票的行政处罚", "《中华人民共和国发票管理办法》", "第三十三条", "应当开具而未开具发票", 10_000),
            jc("JC-001", "税务检查", "《中华人民共和国税收征收管理法》", "第五十四条"),
            qz("QZ-001", "税收保全措施", "《中华人民共和国税收征收管理法》", "第三十八条", "冻结纳税人存款"),
        ],
        issuer: "国家税务总局黑龙江省税务局",
    },
    DeptT {
        code: "NYNC",
        name: "尚志市农业农村局",
        size: 4,
        kind: DeptKind::Department,
        units: &["种植业管理科", "畜牧兽医管理科"],
        powers: &[
            cf("CF-001", "对经营假农药的行政处罚", "《农药管理条例》", "第五十五条", "经营假农药", 50_000),
            cf("CF-002", "对生产经营假种子的行政处罚", "《中华人民共和国种子法》", "第七十五条", "销售假种子", 200_000),
            cf("CF-003", "对动物防疫违法行为的行政处罚", "《中华人民共和国动物防疫法》", "第九十七条", "屠宰、经营依法应当检疫而未经检疫的动物产品", 100_000),
            jc("JC-001", "农产品质量安全监督检查", "《中华人民共和国农产品质量安全法》", "第五十五条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    // Entrusted with the bureau's powers (Art. 23): the two are the city's
    // size twins, alike in everything but their staff.
    DeptT {
        code: "NYZD",
        name: "尚志市农业综合行政执法大队",
        size: 3,
        kind: DeptKind::Entrusted("NYNC"),
        units: &["执法一中队", "执法二中队"],
        powers: &[
            cf("CF-001", "对经营假农药的行政处罚（受委托）", "《农药管理条例》", "第五十五条", "经营假农药", 50_000),
            cf("CF-002", "对生产经营假种子的行政处罚（受委托）", "《中华人民共和国种子法》", "第七十五条", "销售假种子", 200_000),
            cf("CF-003", "对动物防疫违法行为的行政处罚（受委托）", "《中华人民共和国动物防疫法》", "第九十七条", "屠宰、经营依法应当检疫而未经检疫的动物产品", 100_000),
            jc("JC-001", "农资市场执法检查（受委托）", "《中华人民共和国农产品质量安全法》", "第五十五条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "JTYS",
        name: "尚志市交通运输局",
        size: 7,
        kind: DeptKind::Department,
        units: &["道路运输管理科", "公路路政管理股"],
        powers: &[
            cf("CF-001", "对未取得道路运输经营许可擅自从事道路运输经营的行政处罚", "《中华人民共和国道路运输条例》", "第六十三条", "未取得道路运输经营许可，擅自从事道路客运经营", 100_000),
            cf("CF-002", "对车辆违法超限运输的行政处罚", "《公路安全保护条例》", "第六十四条", "车辆违法超限运输", 30_000),
            cf("CF-003", "对擅自占用、挖掘公路的行政处罚", "《中华人民共和国公路法》", "第七十六条", "擅自占用、挖掘公路", 30_000),
            jc("JC-001", "道路运输监督检查", "《中华人民共和国道路运输条例》", "第五十八条"),
            xk("XK-001", "道路旅客运输经营许可", "《中华人民共和国道路运输条例》", "第十条"),
            qz("QZ-001", "暂扣无道路运输证的车辆", "《中华人民共和国道路运输条例》", "第六十六条", "暂扣车辆"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "YJGL",
        name: "尚志市应急管理局",
        size: 5,
        kind: DeptKind::Department,
        units: &["安全生产执法大队", "危险化学品安全监督管理科"],
        powers: &[
            cf("CF-001", "对生产经营单位未如实记录安全生产教育和培训情况的行政处罚", "《中华人民共和国安全生产法》", "第九十七条", "未如实记录安全生产教育和培训情况", 100_000),
            cf("CF-002", "对未建立事故隐患排查治理制度的行政处罚", "《中华人民共和国安全生产法》", "第一百零一条", "未建立事故隐患排查治理制度", 100_000),
            cf("CF-003", "对危险化学品经营企业违法经营的行政处罚", "《危险化学品安全管理条例》", "第七十七条", "未取得危险化学品经营许可证经营危险化学品", 200_000),
            jc("JC-001", "安全生产监督检查", "《中华人民共和国安全生产法》", "第六十五条"),
            qz("QZ-001", "查封、扣押不符合保障安全生产标准的设施、设备", "《中华人民共和国安全生产法》", "第六十五条", "查封不符合安全生产标准的设备"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "ZRZY",
        name: "尚志市自然资源局",
        size: 4,
        kind: DeptKind::Department,
        units: &["自然资源执法监察大队", "国土空间规划科"],
        powers: &[
            cf("CF-001", "对非法占用土地的行政处罚", "《中华人民共和国土地管理法》", "第七十七条", "未经批准非法占用土地", 300_000),
            cf("CF-002", "对未取得采矿许可证擅自采矿的行政处罚", "《中华人民共和国矿产资源法》", "第三十九条", "未取得采矿许可证擅自采矿", 200_000),
            jc("JC-001", "土地违法行为监督检查", "《中华人民共和国土地管理法》", "第六十八条"),
            xk("XK-001", "建设用地规划许可", "《中华人民共和国城乡规划法》", "第三十七条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "WGLY",
        name: "尚志市文化广电和旅游局",
        size: 3,
        kind: DeptKind::Department,
        units: &["文化市场综合执法大队", "旅游市场管理科"],
        powers: &[
            cf("CF-001", "对旅行社违法经营的行政处罚", "《中华人民共和国旅游法》", "第九十五条", "未经许可经营旅行社业务", 100_000),
            cf("CF-002", "对互联网上网服务营业场所接纳未成年人的行政处罚", "《互联网上网服务营业场所管理条例》", "第三十一条", "接纳未成年人进入营业场所", 15_000),
            jc("JC-001", "文化市场监督检查", "《文化市场综合行政执法管理办法》", "第十九条"),
            xk("XK-001", "娱乐场所经营许可", "《娱乐场所管理条例》", "第九条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "WSJK",
        name: "尚志市卫生健康局",
        size: 4,
        kind: DeptKind::Department,
        units: &["卫生健康综合监督执法大队", "医政医管科"],
        powers: &[
            cf("CF-001", "对未取得医疗机构执业许可证擅自执业的行政处罚", "《中华人民共和国基本医疗卫生与健康促进法》", "第九十九条", "未取得医疗机构执业许可证擅自执业", 200_000),
            cf("CF-002", "对公共场所经营者卫生违法的行政处罚", "《公共场所卫生管理条例实施细则》", "第三十六条", "未按照规定对公共场所进行卫生检测", 20_000),
            cf("CF-003", "对医疗卫生机构违反医疗废物管理规定的行政处罚", "《医疗废物管理条例》", "第四十六条", "未按照规定对医疗废物进行登记", 30_000),
            jc("JC-001", "医疗机构监督检查", "《医疗机构管理条例》", "第四十条"),
            xk("XK-001", "医疗机构执业登记", "《医疗机构管理条例》", "第十五条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "ZJJ",
        name: "尚志市住房和城乡建设局",
        size: 5,
        kind: DeptKind::Department,
        units: &["建设工程质量安全监督站", "城建监察大队"],
        powers: &[
            cf("CF-001", "对未取得施工许可证擅自施工的行政处罚", "《建设工程质量管理条例》", "第五十七条", "未取得施工许可证擅自施工", 200_000),
            cf("CF-002", "对施工单位违反工程建设强制性标准的行政处罚", "《建设工程质量管理条例》", "第六十四条", "施工中偷工减料，使用不合格的建筑材料", 500_000),
            cf("CF-003", "对物业服务企业违法的行政处罚", "《物业管理条例》", "第五十九条", "擅自改变物业管理用房的用途", 100_000),
            jc("JC-001", "建设工程质量安全监督检查", "《建设工程安全生产管理条例》", "第四十三条"),
            xk("XK-001", "建筑工程施工许可", "《中华人民共和国建筑法》", "第七条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "GAJ",
        name: "尚志市公安局",
        size: 16,
        kind: DeptKind::Department,
        units: &["治安管理大队", "交通警察大队", "法制大队"],
        powers: &[
            cf("CF-001", "对扰乱公共秩序行为的行政处罚", "《中华人民共和国治安管理处罚法》", "第二十三条", "扰乱车站、商场等公共场所秩序", 1_000),
            cf("CF-002", "对违反道路交通安全法律法规行为的行政处罚", "《中华人民共和国道路交通安全法》", "第九十条", "机动车驾驶人违反道路交通安全法律法规", 200),
            cf("CF-003", "对非法携带管制器具的行政处罚", "《中华人民共和国治安管理处罚法》", "第三十二条", "非法携带管制刀具", 500),
            jc("JC-001", "公共场所治安检查", "《中华人民共和国治安管理处罚法》", "第八十七条"),
            qz("QZ-001", "扣留机动车", "《中华人民共和国道路交通安全法》", "第九十五条", "扣留机动车"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "SWU",
        name: "尚志市水务局",
        size: 3,
        kind: DeptKind::Department,
        units: &["水政监察大队", "水资源管理科"],
        powers: &[
            cf("CF-001", "对未经批准擅自取水的行政处罚", "《中华人民共和国水法》", "第六十九条", "未经批准擅自取水", 50_000),
            cf("CF-002", "对在河道管理范围内违法建设的行政处罚", "《中华人民共和国水法》", "第六十五条", "在河道管理范围内建设妨碍行洪的建筑物", 100_000),
            jc("JC-001", "水资源开发利用监督检查", "《中华人民共和国水法》", "第六十条"),
            xk("XK-001", "取水许可", "《取水许可和水资源费征收管理条例》", "第三条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "LCJ",
        name: "尚志市林业和草原局",
        size: 4,
        kind: DeptKind::Department,
        units: &["森林资源执法大队", "林政资源管理科"],
        powers: &[
            cf("CF-001", "对滥伐林木的行政处罚", "《中华人民共和国森林法》", "第七十六条", "滥伐林木", 50_000),
            cf("CF-002", "对非法猎捕野生动物的行政处罚", "《中华人民共和国野生动物保护法》", "第四十八条", "在禁猎区使用禁用工具猎捕野生动物", 50_000),
            jc("JC-001", "林业行政执法检查", "《中华人民共和国森林法》", "第六十七条"),
            xk("XK-001", "林木采伐许可", "《中华人民共和国森林法》", "第五十六条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "RSJ",
        name: "尚志市人力资源和社会保障局",
        size: 3,
        kind: DeptKind::Department,
        units: &["劳动保障监察大队", "劳动关系科"],
        powers: &[
            cf("CF-001", "对拖欠农民工工资的行政处罚", "《保障农民工工资支付条例》", "第五十五条", "未按规定设立农民工工资专用账户", 100_000),
            cf("CF-002", "对用人单位违法延长劳动者工作时间的行政处罚", "《劳动保障监察条例》", "第二十五条", "违法延长劳动者工作时间", 20_000),
            jc("JC-001", "劳动保障监察", "《劳动保障监察条例》", "第十五条"),
            xk("XK-001", "劳务派遣经营许可", "《中华人民共和国劳动合同法》", "第五十七条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "JYJ",
        name: "尚志市教育局",
        size: 2,
        kind: DeptKind::Department,
        units: &["教育督导室", "民办教育管理科"],
        powers: &[
            cf("CF-001", "对民办学校违法办学的行政处罚", "《中华人民共和国民办教育促进法》", "第六十二条", "擅自分立、合并民办学校", 50_000),
            jc("JC-001", "校外培训机构监督检查", "《校外培训行政处罚暂行办法》", "第十条"),
            xk("XK-001", "民办学校办学许可", "《中华人民共和国民办教育促进法》", "第十二条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "YBJ",
        name: "尚志市医疗保障局",
        size: 2,
        kind: DeptKind::Department,
        units: &["医保基金监管科", "待遇保障科"],
        powers: &[
            cf("CF-001", "对定点医药机构骗取医疗保障基金的行政处罚", "《医疗保障基金使用监督管理条例》", "第四十条", "诱导、协助他人冒名就医骗取医疗保障基金", 500_000),
            cf("CF-002", "对定点医药机构违规使用医疗保障基金的行政处罚", "《医疗保障基金使用监督管理条例》", "第三十八条", "重复收费、超标准收费", 100_000),
            jc("JC-001", "医疗保障基金使用监督检查", "《医疗保障基金使用监督管理条例》", "第二十七条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "SWT",
        name: "尚志市商务局",
        size: 2,
        kind: DeptKind::Department,
        units: &["市场运行和消费促进科", "综合执法股"],
        powers: &[
            cf("CF-001", "对违规发行单用途商业预付卡的行政处罚", "《单用途商业预付卡管理办法（试行）》", "第三十六条", "未按规定办理单用途卡备案", 30_000),
            cf("CF-002", "对报废机动车回收企业违法经营的行政处罚", "《报废机动车回收管理办法》", "第二十一条", "出售不具备再制造条件的报废机动车零部件", 100_000),
            jc("JC-001", "商贸流通领域监督检查", "《单用途商业预付卡管理办法（试行）》", "第三十条"),
            xk("XK-001", "报废机动车回收拆解企业资质认定", "《报废机动车回收管理办法》", "第六条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "MZJ",
        name: "尚志市民政局",
        size: 2,
        kind: DeptKind::Department,
        units: &["社会组织管理科", "社会事务科"],
        powers: &[
            cf("CF-001", "对社会团体违法活动的行政处罚", "《社会团体登记管理条例》", "第三十条", "违反规定收取费用、筹集资金", 10_000),
            cf("CF-002", "对擅自兴建殡葬设施的行政处罚", "《殡葬管理条例》", "第十八条", "未经批准擅自兴建殡葬设施", 10_000),
            jc("JC-001", "社会组织监督检查", "《社会团体登记管理条例》", "第二十四条"),
            xk("XK-001", "社会团体成立登记", "《社会团体登记管理条例》", "第九条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "FGJ",
        name: "尚志市发展和改革局",
        size: 2,
        kind: DeptKind::Department,
        units: &["能源管理科", "价格和收费管理科"],
        powers: &[
            cf("CF-001", "对违反节能审查规定的行政处罚", "《中华人民共和国节约能源法》", "第六十八条", "未按照规定进行节能审查开工建设", 100_000),
            cf("CF-002", "对必须进行招标的项目而不招标的行政处罚", "《中华人民共和国招标投标法》", "第四十九条", "必须进行招标的项目而不招标", 50_000),
            jc("JC-001", "重点用能单位节能监督检查", "《中华人民共和国节约能源法》", "第十二条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "TJJ",
        name: "尚志市统计局",
        size: 1,
        kind: DeptKind::Department,
        units: &["统计执法监督科", "综合统计科"],
        powers: &[
            cf("CF-001", "对统计调查对象提供不真实统计资料的行政处罚", "《中华人民共和国统计法》", "第四十一条", "提供不真实、不完整的统计资料", 200_000),
            jc("JC-001", "统计执法检查", "《中华人民共和国统计法》", "第三十五条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "RFB",
        name: "尚志市人民防空办公室",
        size: 2,
        kind: DeptKind::Department,
        units: &["人防工程管理科", "综合执法股"],
        powers: &[
            cf("CF-001", "对不按照规定修建防空地下室的行政处罚", "《中华人民共和国人民防空法》", "第四十八条", "城市新建民用建筑不修建战时可用于防空的地下室", 100_000),
            jc("JC-001", "人民防空工程监督检查", "《中华人民共和国人民防空法》", "第二十五条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "LSJ",
        name: "尚志市粮食和物资储备局",
        size: 2,
        kind: DeptKind::Department,
        units: &["监督检查科", "仓储管理科"],
        powers: &[
            cf("CF-001", "对粮食经营者违反粮食流通管理规定的行政处罚", "《粮食流通管理条例》", "第四十七条", "未按照规定建立粮食经营台账", 50_000),
            jc("JC-001", "粮食流通监督检查", "《粮食流通管理条例》", "第三十七条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "YCZM",
        name: "尚志市烟草专卖局",
        size: 3,
        kind: DeptKind::Vertical,
        units: &["专卖稽查大队", "专卖管理科"],
        powers: &[
            cf("CF-001", "对无烟草专卖零售许可证经营烟草制品零售业务的行政处罚", "《中华人民共和国烟草专卖法实施条例》", "第五十七条", "无烟草专卖零售许可证经营烟草制品零售业务", 10_000),
            cf("CF-002", "对无准运证运输烟草专卖品的行政处罚", "《中华人民共和国烟草专卖法》", "第三十一条", "无准运证运输烟草专卖品", 50_000),
            jc("JC-001", "烟草专卖市场监督检查", "《中华人民共和国烟草专卖法实施条例》", "第四十七条"),
            xk("XK-001", "烟草专卖零售许可", "《中华人民共和国烟草专卖法》", "第十六条"),
        ],
        issuer: "黑龙江省烟草专卖局",
    },
    DeptT {
        code: "QXJ",
        name: "尚志市气象局",
        size: 2,
        kind: DeptKind::Vertical,
        units: &["防雷安全监管科", "综合管理科"],
        powers: &[
            cf("CF-001", "对危害气象探测环境的行政处罚", "《中华人民共和国气象法》", "第三十五条", "在气象探测环境保护范围内从事危害气象探测环境的活动", 50_000),
            cf("CF-002", "对不具备资质从事雷电防护装置检测的行政处罚", "《气象灾害防御条例》", "第四十五条", "不具备防雷装置检测资质从事检测", 100_000),
            jc("JC-001", "雷电防护安全监督检查", "《气象灾害防御条例》", "第二十三条"),
            xk("XK-001", "雷电防护装置设计审核", "《气象灾害防御条例》", "第二十三条"),
        ],
        issuer: "黑龙江省气象局",
    },
    DeptT {
        code: "GJJ",
        name: "哈尔滨住房公积金管理中心尚志分中心",
        size: 2,
        kind: DeptKind::Empowered,
        units: &["归集管理科", "稽核科"],
        powers: &[
            cf("CF-001", "对单位不办理住房公积金缴存登记的行政处罚", "《住房公积金管理条例》", "第三十七条", "不办理住房公积金缴存登记", 50_000),
            jc("JC-001", "住房公积金缴存监督检查", "《住房公积金管理条例》", "第三十八条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "JTZD",
        name: "尚志市交通运输综合行政执法大队",
        size: 3,
        kind: DeptKind::Entrusted("JTYS"),
        units: &["路政执法中队", "运政执法中队"],
        powers: &[
            cf("CF-001", "对车辆违法超限运输的行政处罚（受委托）", "《公路安全保护条例》", "第六十四条", "车辆违法超限运输", 30_000),
            jc("JC-001", "公路路政巡查（受委托）", "《中华人民共和国公路法》", "第六十九条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "GXJ",
        name: "尚志市工业和信息化局",
        size: 2,
        kind: DeptKind::Department,
        units: &["民爆安全监管科", "节能与综合利用科"],
        powers: &[
            cf("CF-001", "对违反民用爆炸物品安全管理规定的行政处罚", "《民用爆炸物品安全管理条例》", "第四十四条", "未按照规定建立民用爆炸物品登记制度", 100_000),
            jc("JC-001", "工业节能监察", "《中华人民共和国节约能源法》", "第十二条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "MZZJ",
        name: "尚志市民族宗教事务局",
        size: 1,
        kind: DeptKind::Department,
        units: &["宗教事务管理科", "民族工作科"],
        powers: &[
            cf("CF-001", "对擅自设立宗教活动场所的行政处罚", "《宗教事务条例》", "第七十一条", "擅自设立宗教活动场所", 50_000),
            jc("JC-001", "宗教活动场所监督检查", "《宗教事务条例》", "第四十六条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "TYJR",
        name: "尚志市退役军人事务局",
        size: 1,
        kind: DeptKind::Department,
        units: &["移交安置科", "权益维护科"],
        powers: &[
            cf("CF-001", "对拒绝接收安置退役军人的行政处罚", "《中华人民共和国退役军人保障法》", "第八十一条", "拒绝或者无故拖延执行退役军人安置任务", 50_000),
            jc("JC-001", "退役军人安置政策落实监督检查", "《中华人民共和国退役军人保障法》", "第七十九条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "SJJ",
        name: "尚志市审计局",
        size: 1,
        kind: DeptKind::Department,
        units: &["法规审理科", "经济责任审计科"],
        powers: &[
            cf("CF-001", "对被审计单位拒绝、拖延提供与审计事项有关资料的行政处罚", "《中华人民共和国审计法》", "第四十七条", "拒绝、拖延提供与审计事项有关的资料", 50_000),
            jc("JC-001", "审计监督检查", "《中华人民共和国审计法》", "第三十四条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
    DeptT {
        code: "DAJ",
        name: "尚志市档案局",
        size: 1,
        kind: DeptKind::Department,
        units: &["档案执法监督科", "业务指导科"],
        powers: &[
            cf("CF-001", "对违反档案管理规定的行政处罚", "《中华人民共和国档案法》", "第四十八条", "擅自提供、抄录、复制、公布属于国家所有的档案", 50_000),
            jc("JC-001", "档案工作监督检查", "《中华人民共和国档案法》", "第四十二条"),
        ],
        issuer: PROVINCE_ISSUER,
    },
];

/// The size twins (small, large): a bureau and the brigade it entrusted
/// with the same powers; both among the first eight departments.
pub const TWINS: (&str, &str) = ("NYNC", "NYZD");

/// Towns (乡镇人民政府): governments under the city, assessed too (Art. 4),
/// with the powers the province devolved to them.
pub const TOWNS: &[(&str, &str)] = &[
    ("XZ01", "尚志市一面坡镇人民政府"),
    ("XZ02", "尚志市苇河镇人民政府"),
    ("XZ03", "尚志市亚布力镇人民政府"),
    ("XZ04", "尚志市帽儿山镇人民政府"),
    ("XZ05", "尚志市元宝镇人民政府"),
    ("XZ06", "尚志市庆阳镇人民政府"),
    ("XZ07", "尚志市亮河镇人民政府"),
    ("XZ08", "尚志市黑龙宫镇人民政府"),
    ("XZ09", "尚志市石头河子镇人民政府"),
    ("XZ10", "尚志市珍珠山乡人民政府"),
    ("XZ11", "尚志市长寿乡人民政府"),
    ("XZ12", "尚志市乌吉密乡人民政府"),
    ("XZ13", "尚志市马延乡人民政府"),
    ("XZ14", "尚志市老街基乡人民政府"),
    ("XZ15", "尚志市鱼池朝鲜族乡人民政府"),
    ("XZ16", "尚志市河东朝鲜族乡人民政府"),
];

pub const TOWN_UNITS: &[&str] = &["综合行政执法办公室", "应急管理办公室"];

#[rustfmt::skip]
pub const TOWN_POWERS: &[PowerT] = &[
    cf("CF-001", "对露天焚烧秸秆的行政处罚", "《中华人民共和国大气污染防治法》", "第一百一十九条", "在人口集中地区露天焚烧秸秆", 2_000),
    cf("CF-002", "对农村村民非法占用土地建住宅的行政处罚", "《中华人民共和国土地管理法》", "第七十八条", "未经批准非法占用土地建住宅", 20_000),
    jc("JC-001", "生产经营单位安全生产监督检查", "《中华人民共和国安全生产法》", "第九条"),
    jc("JC-002", "秸秆禁烧巡查", "《中华人民共和国大气污染防治法》", "第七十七条"),
];

/// A town's relative size, against the departments'.
pub const TOWN_SIZE: u32 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_twins_hold_alike_powers() {
        let of = |code| DEPARTMENTS.iter().find(|d| d.code == code).unwrap();
        let (a, b) = (of(TWINS.0), of(TWINS.1));
        let at = |code| DEPARTMENTS.iter().position(|d| d.code == code).unwrap();
        assert!(at(TWINS.0) < crate::plan::MIN_DEPARTMENTS);
        assert!(at(TWINS.1) < crate::plan::MIN_DEPARTMENTS);
        assert_eq!(a.powers.len(), b.powers.len());
        for (x, y) in a.powers.iter().zip(b.powers) {
            assert_eq!(
                (x.cat, x.law, x.article, x.max_yuan),
                (y.cat, y.law, y.article, y.max_yuan)
            );
        }
    }

    #[test]
    fn codes_are_unique_and_lists_are_sound() {
        let mut codes: Vec<&str> = DEPARTMENTS.iter().map(|d| d.code).collect();
        codes.extend(TOWNS.iter().map(|t| t.0));
        let n = codes.len();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), n);
        for d in DEPARTMENTS {
            let mut pc: Vec<&str> = d.powers.iter().map(|p| p.code).collect();
            let k = pc.len();
            pc.sort();
            pc.dedup();
            assert_eq!(pc.len(), k, "{}", d.code);
            assert!(d.powers.iter().any(|p| p.cat == Cat::Penalty), "{}", d.code);
            assert!(
                d.powers.iter().any(|p| p.cat == Cat::Inspection),
                "{}",
                d.code
            );
            assert!(d.powers.iter().all(|p| p.law.starts_with('《')));
            if let DeptKind::Entrusted(by) = d.kind {
                let at = DEPARTMENTS.iter().position(|x| x.code == by).unwrap();
                let me = DEPARTMENTS.iter().position(|x| x.code == d.code).unwrap();
                assert!(
                    at < me,
                    "{} is entrusted by a department taken after it",
                    d.code
                );
            }
        }
    }
}
