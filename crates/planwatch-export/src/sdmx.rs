//! SDMX: the structure of a plan's data as an SDMX-ML 2.1 structure message (the dataflow, the
//! data structure definition, the concepts and the codelists of indicators, regions, units,
//! unit multipliers, frequencies and statuses), and the observations as SDMX-CSV 2.0 following
//! it. sdmx1 (PyPI) reads the pair back and the structure validates against the official XSD;
//! `crates/planwatch-cli/tests/it/sdmx.rs` checks both.
//!
//! Values stay in the indicator's unit: SDMX says 亿元 as the unit CNY with the multiplier 8
//! (UNIT_MULT: the value is in 10⁸ yuan), % as PT. Units are mapped here, from the unit's text
//! in the plan, and nowhere else.

use std::collections::BTreeMap;
use std::io::{self, Write};

use planwatch_plan::{ObsStatus, Observation, Period, Plan, Text};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use crate::{ExportError, number};

/// The maintenance agency of every artefact.
pub const AGENCY: &str = "PLANWATCH";
/// The version of every artefact (SDMX 2.1 style).
pub const VERSION: &str = "1.0";

/// A unit as SDMX says it: the unit's code (ISO 4217 for currencies, PT for percent, NUMBER
/// for counts, _Z for none, else one made from the unit's text) and the power of ten the values
/// are in (UNIT_MULT).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdmxUnit {
    pub code: String,
    pub multiplier: u8,
}

/// Base units: the SDMX code, its names, and how plans write it.
const BASE_UNITS: [(&str, &str, &str, &[&str]); 5] = [
    ("CNY", "人民币元", "Yuan renminbi", &["元", "人民币元"]),
    ("USD", "美元", "US dollar", &["美元"]),
    ("EUR", "欧元", "Euro", &["欧元"]),
    ("PT", "百分比", "Percent", &["%"]),
    (
        "NUMBER",
        "数量",
        "Number",
        &["个", "家", "条", "项", "件", "座", "所"],
    ),
];

/// Chinese magnitudes before a base unit (longest first) and SDMX's CL_UNIT_MULT codes for them.
const MULTIPLIERS: [(&str, u8, &str); 9] = [
    ("万亿", 12, "Trillions"),
    ("十亿", 9, "Billions"),
    ("亿", 8, "Hundreds of millions"),
    ("千万", 7, "Tens of millions"),
    ("百万", 6, "Millions"),
    ("十万", 5, "Hundreds of thousands"),
    ("万", 4, "Tens of thousands"),
    ("千", 3, "Thousands"),
    ("", 0, "Units"),
];

/// Units that say there is no unit (a qualitative indicator's "—").
const NO_UNIT: [&str; 4] = ["", "—", "-", "无"];

/// SDMX's code and multiplier for a unit of the plan: 亿元 → CNY × 10⁸, % → PT, 家 → NUMBER.
/// A unit it does not know keeps its own text as the code's name, under the code `U_` and the
/// text's UTF-8 bytes in hexadecimal (SDMX codes are ASCII).
pub fn sdmx_unit(unit: &str) -> SdmxUnit {
    let unit = unit.trim();
    if NO_UNIT.contains(&unit) {
        return SdmxUnit {
            code: "_Z".to_owned(),
            multiplier: 0,
        };
    }
    for (prefix, multiplier, _) in MULTIPLIERS {
        let Some(base) = unit.strip_prefix(prefix) else {
            continue;
        };
        let known = BASE_UNITS
            .iter()
            .find(|(code, .., texts)| texts.contains(&base) && (multiplier == 0 || *code != "PT"));
        if let Some((code, ..)) = known {
            return SdmxUnit {
                code: (*code).to_owned(),
                multiplier,
            };
        }
    }
    SdmxUnit {
        code: unit.bytes().fold(String::from("U_"), |mut code, byte| {
            code.push_str(&format!("{byte:02X}"));
            code
        }),
        multiplier: 0,
    }
}

/// The code's names in the unit codelist.
fn unit_names(unit: &str, code: &str) -> Text {
    match (code, BASE_UNITS.iter().find(|(c, ..)| *c == code)) {
        ("_Z", _) => Text::new("不适用", "Not applicable"),
        (_, Some((_, zh, en, _))) => Text::new(*zh, *en),
        (_, None) => Text {
            zh: unit.trim().to_owned(),
            en: None,
        },
    }
}

/// The dataflow's id: the plan's id in SDMX's form (`CHENGDU_SERVICES_2021_2025`).
fn flow_id(plan: &Plan) -> String {
    plan.id.to_uppercase().replace('-', "_")
}

/// What the SDMX-CSV's STRUCTURE_ID column holds: `PLANWATCH:CHENGDU_SERVICES_2021_2025(1.0)`.
pub fn dataflow_ref(plan: &Plan) -> String {
    format!("{AGENCY}:{}({VERSION})", flow_id(plan))
}

fn frequency(period: Period) -> &'static str {
    match period {
        Period::Year(_) => "A",
        Period::Quarter(..) => "Q",
        Period::Month(..) => "M",
    }
}

/// The SDMX-CSV 2.0 header: the dataflow, the action, the dimensions, the measure, the
/// attributes.
pub const SDMX_CSV_HEADER: [&str; 11] = [
    "STRUCTURE",
    "STRUCTURE_ID",
    "ACTION",
    "FREQ",
    "INDICATOR",
    "REF_AREA",
    "TIME_PERIOD",
    "OBS_VALUE",
    "UNIT_MEASURE",
    "UNIT_MULT",
    "OBS_STATUS",
];

/// SDMX-CSV 2.0 following [`write_sdmx_structure`]: each row names the dataflow, the action I
/// (information), the dimensions FREQ, INDICATOR, REF_AREA, TIME_PERIOD, then OBS_VALUE in the
/// indicator's unit and the attributes UNIT_MEASURE, UNIT_MULT, OBS_STATUS.
pub fn write_sdmx_csv(
    plan: &Plan,
    observations: &[Observation],
    out: impl Write,
) -> Result<(), ExportError> {
    let units: BTreeMap<&str, SdmxUnit> = plan
        .indicators
        .iter()
        .map(|i| (i.code.as_str(), sdmx_unit(&i.unit)))
        .collect();
    let no_unit = sdmx_unit("");
    let dataflow = dataflow_ref(plan);
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(SDMX_CSV_HEADER)?;
    for o in observations {
        let unit = units.get(o.indicator.as_str()).unwrap_or(&no_unit);
        writer.write_record([
            "dataflow",
            dataflow.as_str(),
            "I",
            frequency(o.period),
            o.indicator.as_str(),
            o.region.as_str(),
            &o.period.to_string(),
            &number(o.value),
            unit.code.as_str(),
            &unit.multiplier.to_string(),
            o.status.sdmx_code(),
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// A code of a codelist: its id, names, description and parent code.
struct Code {
    id: String,
    name: Text,
    description: Option<Text>,
    parent: Option<String>,
}

impl Code {
    fn new(id: impl Into<String>, zh: &str, en: &str) -> Code {
        Code {
            id: id.into(),
            name: Text::new(zh, en),
            description: None,
            parent: None,
        }
    }
}

/// How a component is represented: by a codelist, or as text of an SDMX type.
enum Representation {
    Codelist(String),
    Text(&'static str),
}

/// A component of the data structure.
struct Component {
    id: &'static str,
    representation: Representation,
}

/// The concepts every component stands for, with their names.
const CONCEPTS: [(&str, &str, &str); 8] = [
    ("FREQ", "频率", "Frequency"),
    ("INDICATOR", "指标", "Indicator"),
    ("REF_AREA", "地区", "Reference area"),
    ("TIME_PERIOD", "时期", "Time period"),
    ("OBS_VALUE", "观测值", "Observation value"),
    ("UNIT_MEASURE", "计量单位", "Unit of measure"),
    ("UNIT_MULT", "单位倍数", "Unit multiplier"),
    ("OBS_STATUS", "观测值状态", "Observation status"),
];
const CONCEPT_SCHEME: &str = "CS_PLANWATCH";

const NS_MESSAGE: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/message";
const NS_STRUCTURE: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/structure";
const NS_COMMON: &str = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common";

/// A codelist: its id, names and codes.
type Codelist = (String, Text, Vec<Code>);

/// The codelists of the plan's structure, in this order: frequency, indicator, area, unit, unit
/// multiplier, status.
fn codelists(plan: &Plan) -> Vec<Codelist> {
    let flow = flow_id(plan);
    let indicators = plan
        .indicators
        .iter()
        .map(|i| Code {
            id: i.code.clone(),
            name: i.name.clone(),
            description: i.definition.clone(),
            parent: None,
        })
        .collect();
    let regions = plan
        .regions
        .iter()
        .map(|r| Code {
            id: r.code.clone(),
            name: r.name.clone(),
            description: None,
            parent: r
                .parent
                .clone()
                .filter(|p| plan.regions.iter().any(|r| r.code == *p)),
        })
        .collect();
    let mut units: Vec<Code> = Vec::new();
    for indicator in &plan.indicators {
        let code = sdmx_unit(&indicator.unit).code;
        if !units.iter().any(|u| u.id == code) {
            let name = unit_names(&indicator.unit, &code);
            units.push(Code {
                id: code,
                name,
                description: None,
                parent: None,
            });
        }
    }
    let multipliers = MULTIPLIERS
        .iter()
        .rev()
        .map(|(zh, power, en)| {
            let zh = if zh.is_empty() { "个" } else { zh };
            Code::new(power.to_string(), zh, en)
        })
        .collect();
    let statuses = ObsStatus::ALL
        .iter()
        .filter(|s| **s != ObsStatus::Revised) // a revised value is a normal value (A)
        .map(|s| {
            let (zh, en) = match s.sdmx_code() {
                "A" => ("正常值", "Normal value"),
                "P" => ("初步值", "Provisional value"),
                "E" => ("估计值", "Estimated value"),
                _ => ("预测值", "Forecast value"),
            };
            Code::new(s.sdmx_code(), zh, en)
        })
        .collect();
    vec![
        (
            "CL_FREQ".to_owned(),
            Text::new("频率", "Frequency"),
            vec![
                Code::new("A", "年度", "Annual"),
                Code::new("Q", "季度", "Quarterly"),
                Code::new("M", "月度", "Monthly"),
            ],
        ),
        (
            format!("CL_{flow}_INDICATOR"),
            Text::new(format!("{}：指标", plan.title.zh), "Indicators"),
            indicators,
        ),
        (
            format!("CL_{flow}_AREA"),
            Text::new(format!("{}：地区", plan.title.zh), "Regions"),
            regions,
        ),
        (
            format!("CL_{flow}_UNIT_MEASURE"),
            Text::new(format!("{}：计量单位", plan.title.zh), "Units of measure"),
            units,
        ),
        (
            "CL_UNIT_MULT".to_owned(),
            Text::new("单位倍数", "Unit multiplier"),
            multipliers,
        ),
        (
            "CL_OBS_STATUS".to_owned(),
            Text::new("观测值状态", "Observation status"),
            statuses,
        ),
    ]
}

/// The SDMX-ML 2.1 structure message of the plan's data: the dataflow, the data structure
/// definition (dimensions FREQ, INDICATOR, REF_AREA and the time dimension TIME_PERIOD; the
/// measure OBS_VALUE; the attributes UNIT_MEASURE and UNIT_MULT by indicator, OBS_STATUS by
/// observation), the concept scheme and the codelists. Deterministic: the header's preparation
/// time is fixed, so the same plan gives the same bytes.
pub fn write_sdmx_structure(plan: &Plan, out: impl Write) -> Result<(), ExportError> {
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let flow = flow_id(plan);
    let dsd = format!("DSD_{flow}");
    let lists = codelists(plan);
    let namespaces = [
        ("xmlns:mes", NS_MESSAGE),
        ("xmlns:str", NS_STRUCTURE),
        ("xmlns:com", NS_COMMON),
    ];
    element(&mut w, "mes:Structure", &namespaces, |w| {
        element(w, "mes:Header", &[], |w| {
            text(w, "mes:ID", &format!("{flow}_STRUCTURE"))?;
            text(w, "mes:Test", "false")?;
            // Fixed, so that two exports of the same plan are byte-identical.
            text(w, "mes:Prepared", "2021-01-01T00:00:00")?;
            empty(w, "mes:Sender", &[("id", AGENCY)])
        })?;
        element(w, "mes:Structures", &[], |w| {
            element(w, "str:Dataflows", &[], |w| {
                maintainable(w, "str:Dataflow", &flow, |w| {
                    names(w, &plan.title, None)?;
                    element(w, "str:Structure", &[], |w| {
                        reference(w, &dsd, None, "DataStructure", "datastructure")
                    })
                })
            })?;
            element(w, "str:Codelists", &[], |w| {
                lists.iter().try_for_each(|list| codelist(w, list))
            })?;
            element(w, "str:Concepts", &[], |w| {
                maintainable(w, "str:ConceptScheme", CONCEPT_SCHEME, |w| {
                    names(w, &Text::new("规划监测概念", "Planwatch concepts"), None)?;
                    CONCEPTS.iter().try_for_each(|(id, zh, en)| {
                        element(w, "str:Concept", &[("id", id)], |w| {
                            names(w, &Text::new(*zh, *en), None)
                        })
                    })
                })
            })?;
            element(w, "str:DataStructures", &[], |w| {
                maintainable(w, "str:DataStructure", &dsd, |w| {
                    names(w, &plan.title, None)?;
                    element(w, "str:DataStructureComponents", &[], |w| {
                        components(w, &lists)
                    })
                })
            })
        })
    })?;
    w.get_mut().write_all(b"\n")?;
    Ok(())
}

/// A codelist and its codes.
fn codelist<W: Write>(w: &mut Writer<W>, (id, name, codes): &Codelist) -> io::Result<()> {
    maintainable(w, "str:Codelist", id, |w| {
        names(w, name, None)?;
        codes.iter().try_for_each(|code| {
            element(w, "str:Code", &[("id", &code.id)], |w| {
                names(w, &code.name, code.description.as_ref())?;
                match &code.parent {
                    Some(parent) => {
                        element(w, "str:Parent", &[], |w| empty(w, "Ref", &[("id", parent)]))
                    }
                    None => Ok(()),
                }
            })
        })
    })
}

/// The dimensions, attributes and measure of the data structure; `lists` as [`codelists`] gives
/// them.
fn components<W: Write>(w: &mut Writer<W>, lists: &[Codelist]) -> io::Result<()> {
    let coded = |id: &'static str, list: usize| Component {
        id,
        representation: Representation::Codelist(lists[list].0.clone()),
    };
    let dimensions = [
        coded("FREQ", 0),
        coded("INDICATOR", 1),
        coded("REF_AREA", 2),
    ];
    let time = Component {
        id: "TIME_PERIOD",
        representation: Representation::Text("ObservationalTimePeriod"),
    };
    // Each with the dimension it is attached to, or none: to each observation.
    let attributes = [
        (coded("UNIT_MEASURE", 3), Some("INDICATOR")),
        (coded("UNIT_MULT", 4), Some("INDICATOR")),
        (coded("OBS_STATUS", 5), None),
    ];
    let measure = Component {
        id: "OBS_VALUE",
        representation: Representation::Text("Double"),
    };
    element(
        w,
        "str:DimensionList",
        &[("id", "DimensionDescriptor")],
        |w| {
            for (position, dimension) in dimensions.iter().chain([&time]).enumerate() {
                let tag = match dimension.id {
                    "TIME_PERIOD" => "str:TimeDimension",
                    _ => "str:Dimension",
                };
                let position = (position + 1).to_string();
                let attributes = [("id", dimension.id), ("position", &position)];
                element(w, tag, &attributes, |w| component(w, dimension))?;
            }
            Ok(())
        },
    )?;
    element(
        w,
        "str:AttributeList",
        &[("id", "AttributeDescriptor")],
        |w| {
            attributes.iter().try_for_each(|(attribute, dimension)| {
                let status = [("id", attribute.id), ("assignmentStatus", "Mandatory")];
                element(w, "str:Attribute", &status, |w| {
                    component(w, attribute)?;
                    let (tag, id) = match dimension {
                        Some(dimension) => ("str:Dimension", *dimension),
                        None => ("str:PrimaryMeasure", measure.id),
                    };
                    element(w, "str:AttributeRelationship", &[], |w| {
                        element(w, tag, &[], |w| empty(w, "Ref", &[("id", id)]))
                    })
                })
            })
        },
    )?;
    element(w, "str:MeasureList", &[("id", "MeasureDescriptor")], |w| {
        element(w, "str:PrimaryMeasure", &[("id", measure.id)], |w| {
            component(w, &measure)
        })
    })
}

/// An element with attributes and content.
fn element<W: Write>(
    w: &mut Writer<W>,
    tag: &str,
    attributes: &[(&str, &str)],
    content: impl FnOnce(&mut Writer<W>) -> io::Result<()>,
) -> io::Result<()> {
    w.create_element(tag)
        .with_attributes(attributes.iter().copied())
        .write_inner_content(content)?;
    Ok(())
}

/// An element with attributes and no content.
fn empty<W: Write>(w: &mut Writer<W>, tag: &str, attributes: &[(&str, &str)]) -> io::Result<()> {
    w.create_element(tag)
        .with_attributes(attributes.iter().copied())
        .write_empty()?;
    Ok(())
}

fn text<W: Write>(w: &mut Writer<W>, tag: &str, content: &str) -> io::Result<()> {
    w.create_element(tag)
        .write_text_content(BytesText::new(content))?;
    Ok(())
}

/// A maintainable artefact: its id, agency and version, and its content.
fn maintainable<W: Write>(
    w: &mut Writer<W>,
    tag: &str,
    id: &str,
    content: impl FnOnce(&mut Writer<W>) -> io::Result<()>,
) -> io::Result<()> {
    let attributes = [
        ("id", id),
        ("agencyID", AGENCY),
        ("version", VERSION),
        ("isFinal", "false"),
    ];
    element(w, tag, &attributes, content)
}

/// Names (and descriptions) in Chinese and, where there is one, English.
fn names<W: Write>(w: &mut Writer<W>, name: &Text, description: Option<&Text>) -> io::Result<()> {
    for (tag, text) in [("com:Name", Some(name)), ("com:Description", description)] {
        let Some(text) = text else { continue };
        let english = text.en.as_deref().filter(|en| !en.is_empty());
        for (lang, content) in [("zh", Some(text.zh.as_str())), ("en", english)] {
            if let Some(content) = content {
                w.create_element(tag)
                    .with_attribute(("xml:lang", lang))
                    .write_text_content(BytesText::new(content))?;
            }
        }
    }
    Ok(())
}

/// A `Ref` to a maintainable artefact, or to an item (`parent` is then its scheme's id).
fn reference<W: Write>(
    w: &mut Writer<W>,
    id: &str,
    parent: Option<&str>,
    class: &str,
    package: &str,
) -> io::Result<()> {
    let mut attributes = match parent {
        Some(parent) => vec![
            ("maintainableParentID", parent),
            ("maintainableParentVersion", VERSION),
        ],
        None => vec![("version", VERSION)],
    };
    attributes.extend([
        ("id", id),
        ("agencyID", AGENCY),
        ("class", class),
        ("package", package),
    ]);
    empty(w, "Ref", &attributes)
}

/// A component's concept and representation.
fn component<W: Write>(w: &mut Writer<W>, component: &Component) -> io::Result<()> {
    element(w, "str:ConceptIdentity", &[], |w| {
        reference(
            w,
            component.id,
            Some(CONCEPT_SCHEME),
            "Concept",
            "conceptscheme",
        )
    })?;
    element(w, "str:LocalRepresentation", &[], |w| {
        match &component.representation {
            Representation::Codelist(list) => element(w, "str:Enumeration", &[], |w| {
                reference(w, list, None, "Codelist", "codelist")
            }),
            Representation::Text(kind) => empty(w, "str:TextFormat", &[("textType", kind)]),
        }
    })
}
