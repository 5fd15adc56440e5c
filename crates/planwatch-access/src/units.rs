//! Unit codes given on the command line, checked against the plan.

use std::collections::HashMap;

use planwatch_plan::period::to_half_width;
use planwatch_plan::{Plan, RegionKind};

use crate::actor::{Role, Unit};

/// A unit code that does not name exactly one region or department of the plan, or units that
/// do not go with a role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error(
        "“{given}”是{what_zh}“{name}”的名称或简称，不是代码：请用代码 {code} / \"{given}\" is a name or abbreviation of the {what} {name}, not a code: use its code {code}"
    )]
    Abbreviation {
        given: String,
        what: &'static str,
        what_zh: &'static str,
        name: String,
        code: String,
    },
    #[error(
        "“{given}”是{name}的旧代码（用至 {until} 年）：请用 {code} / \"{given}\" is the former code of {name} (until {until}): use {code}"
    )]
    FormerCode {
        given: String,
        name: String,
        until: u16,
        code: String,
    },
    #[error(
        "“{0}”既是地区代码又是部门代码 / \"{0}\" is the code of both a region and a department"
    )]
    Ambiguous(String),
    #[error(
        "本规划中没有代码为“{0}”的地区或部门 / no region or department of the plan has the code \"{0}\""
    )]
    Unknown(String),
    #[error(
        "填报员（reporter）至少需要一个单位（--unit）/ a reporter needs at least one unit (--unit)"
    )]
    ReporterWithoutUnit,
    #[error(
        "只有填报员（reporter）有单位，角色 {0} 不能带 --unit / only reporters have units: the role {0} takes no --unit"
    )]
    UnitsNotForRole(Role),
}

/// The unit with code `code` in `plan`: a region (by its current code) or a department.
/// Names, abbreviations and former codes are refused with the code to use instead.
pub fn resolve_unit(plan: &Plan, code: &str) -> Result<Unit, UnitError> {
    let region = plan.regions.iter().find(|r| r.code == code);
    let department = plan.departments.iter().find(|d| d.code == code);
    match (region, department) {
        (Some(_), Some(_)) => return Err(UnitError::Ambiguous(code.to_owned())),
        (Some(region), None) => return Ok(Unit::Region(region.code.clone())),
        (None, Some(department)) => return Ok(Unit::Department(department.code.clone())),
        (None, None) => {}
    }
    let given = code.trim();
    for region in &plan.regions {
        if let Some(former) = region.former_codes.iter().find(|f| f.code == given) {
            return Err(UnitError::FormerCode {
                given: given.to_owned(),
                name: region.name.zh.clone(),
                until: former.until,
                code: region.code.clone(),
            });
        }
    }
    if let Some(unit) = UnitNames::new(plan).find(given) {
        let (what, what_zh, name) = match &unit {
            Unit::Region(code) => ("region", "地区", region_name(plan, code)),
            Unit::Department(code) => ("department", "部门", department_name(plan, code)),
        };
        return Err(UnitError::Abbreviation {
            given: given.to_owned(),
            what,
            what_zh,
            name: name.to_owned(),
            code: unit.code().to_owned(),
        });
    }
    Err(UnitError::Unknown(code.to_owned()))
}

fn region_name<'p>(plan: &'p Plan, code: &str) -> &'p str {
    plan.regions
        .iter()
        .find(|r| r.code == code)
        .map_or("", |r| r.name.zh.as_str())
}

fn department_name<'p>(plan: &'p Plan, code: &str) -> &'p str {
    plan.departments
        .iter()
        .find(|d| d.code == code)
        .map_or("", |d| d.name.zh.as_str())
}

/// Every name the plan's units go by — a region's or department's Chinese and English name and
/// its aliases —, and the forms offices write them in, looked up without regard to spaces and
/// full-width letters. Built once per plan.
#[derive(Debug, Clone)]
pub struct UnitNames {
    by_name: HashMap<String, Unit>,
    /// The plan region's names, longest first (成都市, 成都): written before a department's name.
    city: Vec<String>,
    kinds: HashMap<String, RegionKind>,
}

/// Suffixes of a region's government (锦江区人民政府, 锦江区政府), longest first.
const GOVERNMENT: [&str; 2] = ["人民政府", "政府"];
/// Suffixes of a managed area's committee (高新区管委会), longest first.
const COMMITTEE: [&str; 2] = ["管理委员会", "管委会"];

/// A name as looked up: half-width, without spaces, lower case.
pub fn normalize_unit_name(name: &str) -> String {
    name.chars()
        .map(to_half_width)
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

impl UnitNames {
    pub fn new(plan: &Plan) -> UnitNames {
        let mut by_name = HashMap::new();
        let mut kinds = HashMap::new();
        // Aliases first, names last, so that a unit's own name always means that unit.
        for region in &plan.regions {
            kinds.insert(region.code.clone(), region.kind);
            let unit = Unit::Region(region.code.clone());
            for name in region.aliases.iter().chain(&region.name.en) {
                by_name.insert(normalize_unit_name(name), unit.clone());
            }
        }
        for department in &plan.departments {
            let unit = Unit::Department(department.code.clone());
            for name in department.aliases.iter().chain(&department.name.en) {
                by_name.insert(normalize_unit_name(name), unit.clone());
            }
        }
        for region in &plan.regions {
            by_name.insert(
                normalize_unit_name(&region.name.zh),
                Unit::Region(region.code.clone()),
            );
        }
        for department in &plan.departments {
            by_name.insert(
                normalize_unit_name(&department.name.zh),
                Unit::Department(department.code.clone()),
            );
        }
        let mut city: Vec<String> = plan
            .regions
            .iter()
            .filter(|r| r.code == plan.region)
            .flat_map(|r| std::iter::once(&r.name.zh).chain(&r.aliases))
            .map(|name| normalize_unit_name(name))
            .filter(|name| !name.starts_with('全'))
            .collect();
        city.sort_by_key(|name| std::cmp::Reverse(name.chars().count()));
        UnitNames {
            by_name,
            city,
            kinds,
        }
    }

    /// The unit whose name or alias `name` is, exactly (spaces and full-width letters aside).
    pub fn exact(&self, name: &str) -> Option<&Unit> {
        self.by_name.get(&normalize_unit_name(name))
    }

    /// The unit `name` means as offices write it: its name or an alias; a department's name
    /// with the city before it (成都市商务局 for 市商务局) or without 市 (商务局); a district's,
    /// county's or county-level city's government (锦江区政府, 锦江区人民政府); a managed area's
    /// committee (高新区管委会, 天府新区成都管委会).
    pub fn find(&self, name: &str) -> Option<&Unit> {
        let name = normalize_unit_name(name);
        if name.is_empty() {
            return None;
        }
        if let Some(unit) = self.by_name.get(&name) {
            return Some(unit);
        }
        if let Some(unit) = self.department(&name) {
            return Some(unit);
        }
        for suffix in GOVERNMENT {
            if let Some(region) = name.strip_suffix(suffix)
                && let Some(unit @ Unit::Region(code)) = self.by_name.get(region)
                && matches!(
                    self.kinds.get(code),
                    Some(
                        RegionKind::District
                            | RegionKind::County
                            | RegionKind::CountyCity
                            | RegionKind::City
                    )
                )
            {
                return Some(unit);
            }
        }
        for suffix in COMMITTEE {
            let Some(area) = name.strip_suffix(suffix) else {
                continue;
            };
            // 天府新区成都管委会: the managed area's name, the city's, then 管委会.
            let candidates = std::iter::once(area).chain(
                self.city
                    .iter()
                    .filter_map(|city| area.strip_suffix(city.as_str())),
            );
            for candidate in candidates {
                if let Some(unit @ Unit::Region(code)) = self.by_name.get(candidate)
                    && self.kinds.get(code) == Some(&RegionKind::ManagedArea)
                {
                    return Some(unit);
                }
            }
        }
        None
    }

    /// A department written with the city's name before it, or without 市.
    fn department(&self, name: &str) -> Option<&Unit> {
        let bare = self
            .city
            .iter()
            .find_map(|city| name.strip_prefix(city.as_str()))
            .unwrap_or(name);
        let candidates = [bare.to_owned(), format!("市{bare}")];
        candidates
            .iter()
            .filter(|candidate| candidate.as_str() != name)
            .find_map(|candidate| match self.by_name.get(candidate) {
                Some(unit @ Unit::Department(_)) => Some(unit),
                _ => None,
            })
    }
}

/// Reporters need at least one unit; the other roles have none.
pub fn check_role_units(role: Role, units: &[Unit]) -> Result<(), UnitError> {
    match (role.has_units(), units.is_empty()) {
        (true, true) => Err(UnitError::ReporterWithoutUnit),
        (false, false) => Err(UnitError::UnitsNotForRole(role)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> Plan {
        planwatch_plan::chengdu::plan()
    }

    #[test]
    fn codes_resolve_and_names_are_refused_with_the_code_to_use() {
        let plan = plan();
        assert_eq!(
            resolve_unit(&plan, "510104"),
            Ok(Unit::Region("510104".into()))
        );
        assert_eq!(
            resolve_unit(&plan, "statistics"),
            Ok(Unit::Department("statistics".into()))
        );
        let error = resolve_unit(&plan, "市发改委").unwrap_err();
        assert!(
            matches!(&error, UnitError::Abbreviation { code, .. } if code == "development_reform"),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .contains("use its code development_reform")
        );
        let error = resolve_unit(&plan, "锦江区").unwrap_err();
        assert!(
            matches!(&error, UnitError::Abbreviation { code, .. } if code == "510104"),
            "{error:?}"
        );
        assert!(matches!(
            resolve_unit(&plan, "510132"),
            Err(UnitError::FormerCode { code, .. }) if code == "510118"
        ));
        assert_eq!(
            resolve_unit(&plan, "nowhere"),
            Err(UnitError::Unknown("nowhere".into()))
        );
    }

    #[test]
    fn units_are_found_by_the_names_offices_write() {
        let plan = plan();
        let names = UnitNames::new(&plan);
        let department = |code: &str| Some(Unit::Department(code.to_owned()));
        let region = |code: &str| Some(Unit::Region(code.to_owned()));
        let cases = [
            ("市商务局", department("commerce")),
            ("成都市商务局", department("commerce")),
            ("商务局", department("commerce")),
            (" 市 商务局 ", department("commerce")),
            ("市文广旅局", department("culture_tourism")),
            ("成都市文化广电旅游局", department("culture_tourism")),
            ("成都市委宣传部", department("publicity")),
            ("成调队", department("survey_team")),
            ("成都海关", department("customs")),
            ("锦江区", region("510104")),
            ("锦江区政府", region("510104")),
            ("锦江区人民政府", region("510104")),
            ("都江堰市人民政府", region("510181")),
            ("金堂县政府", region("510121")),
            ("高新区管委会", region("gaoxin")),
            ("成都高新区管理委员会", region("gaoxin")),
            ("天府新区成都管委会", region("tianfu")),
            ("东部新区管委会", region("dongbu")),
            ("Municipal Bureau of Commerce", department("commerce")),
            // A department has no government, a district no committee.
            ("市商务局政府", None),
            ("锦江区管委会", None),
            ("高新区政府", None),
            ("市级相关部门", None),
            ("", None),
        ];
        for (given, expected) in cases {
            assert_eq!(names.find(given).cloned(), expected, "{given}");
        }
        assert_eq!(names.exact("锦江区政府"), None);
        assert_eq!(names.exact("锦江"), region("510104").as_ref());
    }

    #[test]
    fn only_reporters_have_units() {
        let unit = [Unit::Region("510104".into())];
        assert_eq!(check_role_units(Role::Reporter, &unit), Ok(()));
        assert_eq!(
            check_role_units(Role::Reporter, &[]),
            Err(UnitError::ReporterWithoutUnit)
        );
        assert_eq!(
            check_role_units(Role::Viewer, &unit),
            Err(UnitError::UnitsNotForRole(Role::Viewer))
        );
        assert_eq!(check_role_units(Role::Admin, &[]), Ok(()));
    }
}
