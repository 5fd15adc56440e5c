//! Unit codes given on the command line, checked against the plan.

use planwatch_plan::Plan;

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
    let regions = plan
        .regions
        .iter()
        .map(|r| ("region", "地区", &r.name, &r.aliases, &r.code));
    let departments = plan
        .departments
        .iter()
        .map(|d| ("department", "部门", &d.name, &d.aliases, &d.code));
    for (what, what_zh, name, aliases, code) in regions.chain(departments) {
        let names = [Some(&name.zh), name.en.as_ref()];
        if names
            .into_iter()
            .flatten()
            .chain(aliases)
            .any(|n| n == given)
        {
            return Err(UnitError::Abbreviation {
                given: given.to_owned(),
                what,
                what_zh,
                name: name.zh.clone(),
                code: code.clone(),
            });
        }
    }
    Err(UnitError::Unknown(code.to_owned()))
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
