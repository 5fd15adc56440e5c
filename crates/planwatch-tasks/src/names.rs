//! Units as a cell of a task sheet names them: one or several names separated by 、，,；; or new
//! lines, each a unit's name as offices write it ([`UnitNames::find`]: full name, short name,
//! alias, a district's government, a managed area's committee), or a collective name —
//! `各区（市）县` (every county-level district of the plan), `各区（市）县政府（管委会）` (those and
//! the managed areas), `各管委会`. Every name that names no unit is reported, all at once.

use planwatch_access::{Unit, UnitNames, normalize_unit_name};
use planwatch_plan::{Plan, RegionKind};

/// A name in a cell that names no unit of the plan.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitProblem {
    #[error(
        "“{name}”不是本规划的部门、区（市）县或管委会（单元格“{cell}”）/ \"{name}\" is no department, district or managed area of the plan (cell \"{cell}\")"
    )]
    Unknown { name: String, cell: String },
    #[error(
        "“{name}”未指明具体单位，请逐一列出（单元格“{cell}”）/ \"{name}\" names no unit in particular: list the units (cell \"{cell}\")"
    )]
    Vague { name: String, cell: String },
}

/// Collective names: every county-level district (区、县、县级市) of the plan.
const ALL_DISTRICTS: [&str; 6] = [
    "各区(市)县",
    "各区(市)县政府",
    "各区(市)县人民政府",
    "各区市县",
    "各区(市、县)",
    "各区(市、县)政府",
];
/// Collective names: every county-level district and every managed area.
const DISTRICTS_AND_AREAS: [&str; 4] = [
    "各区(市)县政府(管委会)",
    "各区(市)县(管委会)",
    "各区(市)县人民政府(管委会)",
    "各区(市)县和管委会",
];
/// Collective names: every managed area.
const ALL_AREAS: [&str; 2] = ["各管委会", "各功能区管委会"];
/// Words that name no unit in particular.
const VAGUE: [&str; 8] = [
    "相关部门",
    "有关部门",
    "各相关部门",
    "各有关部门",
    "市级相关部门",
    "市级有关部门",
    "市级各部门",
    "各部门",
];

/// The plan's units by every name offices write, built once per plan.
#[derive(Debug, Clone)]
pub struct UnitResolver {
    names: UnitNames,
    districts: Vec<Unit>,
    areas: Vec<Unit>,
}

impl UnitResolver {
    pub fn new(plan: &Plan) -> UnitResolver {
        let below = |kinds: &[RegionKind]| -> Vec<Unit> {
            plan.regions
                .iter()
                .filter(|r| r.parent.as_deref() == Some(plan.region.as_str()))
                .filter(|r| kinds.contains(&r.kind))
                .map(|r| Unit::Region(r.code.clone()))
                .collect()
        };
        UnitResolver {
            names: UnitNames::new(plan),
            districts: below(&[
                RegionKind::District,
                RegionKind::County,
                RegionKind::CountyCity,
            ]),
            areas: below(&[RegionKind::ManagedArea]),
        }
    }

    /// The units one name means (several for a collective name), or why none.
    pub fn name(&self, name: &str) -> Result<Vec<Unit>, UnitProblem> {
        self.piece(name, name)
    }

    fn piece(&self, name: &str, cell: &str) -> Result<Vec<Unit>, UnitProblem> {
        let key = normalize_unit_name(name);
        if ALL_DISTRICTS.contains(&key.as_str()) {
            return Ok(self.districts.clone());
        }
        if DISTRICTS_AND_AREAS.contains(&key.as_str()) {
            return Ok(self.districts.iter().chain(&self.areas).cloned().collect());
        }
        if ALL_AREAS.contains(&key.as_str()) {
            return Ok(self.areas.clone());
        }
        if let Some(unit) = self.names.find(&key) {
            return Ok(vec![unit.clone()]);
        }
        // 市商务局等: the list goes on in words only.
        if let Some(unit) = key.strip_suffix('等').and_then(|k| self.names.find(k)) {
            return Ok(vec![unit.clone()]);
        }
        let name = name.trim().to_owned();
        let cell = cell.trim().to_owned();
        if VAGUE.contains(&key.as_str()) {
            Err(UnitProblem::Vague { name, cell })
        } else {
            Err(UnitProblem::Unknown { name, cell })
        }
    }

    /// The units a cell names, in the cell's order without repeats; an empty cell names none.
    /// Every name that names no unit is a problem, all of them reported.
    pub fn cell(&self, cell: &str) -> Result<Vec<Unit>, Vec<UnitProblem>> {
        let mut units: Vec<Unit> = Vec::new();
        let mut problems = Vec::new();
        for piece in split_cell(cell) {
            match self.piece(piece, cell) {
                Ok(found) => {
                    for unit in found {
                        if !units.contains(&unit) {
                            units.push(unit);
                        }
                    }
                }
                Err(problem) => problems.push(problem),
            }
        }
        if problems.is_empty() {
            Ok(units)
        } else {
            Err(problems)
        }
    }
}

/// The names in a cell: split at 、，,；; and line breaks outside brackets (`各区（市、县）` is
/// one name), trimmed, empty pieces left out.
pub fn split_cell(cell: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in cell.char_indices() {
        match c {
            '(' | '（' => depth += 1,
            ')' | '）' => depth = depth.saturating_sub(1),
            '、' | '，' | ',' | '；' | ';' | '\n' | '\r' if depth == 0 => {
                pieces.push(&cell[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    pieces.push(&cell[start..]);
    pieces
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn resolver() -> (Plan, UnitResolver) {
        let plan = planwatch_plan::chengdu::plan();
        let resolver = UnitResolver::new(&plan);
        (plan, resolver)
    }

    fn department(code: &str) -> Unit {
        Unit::Department(code.to_owned())
    }

    fn region(code: &str) -> Unit {
        Unit::Region(code.to_owned())
    }

    #[test]
    fn cells_name_units_as_offices_write_them() {
        let (_, units) = resolver();
        let cases: [(&str, Vec<Unit>); 10] = [
            ("市商务局", vec![department("commerce")]),
            (
                "市商务局、市发改委；市经信局",
                vec![
                    department("commerce"),
                    department("development_reform"),
                    department("economy_info"),
                ],
            ),
            (
                "市文广旅局，成都市住建局,市卫健委\n市人社局;成调队",
                vec![
                    department("culture_tourism"),
                    department("housing"),
                    department("health"),
                    department("human_resources"),
                    department("survey_team"),
                ],
            ),
            ("商务局", vec![department("commerce")]),
            (
                "锦江区政府、青羊区人民政府",
                vec![region("510104"), region("510105")],
            ),
            ("天府新区成都管委会", vec![region("tianfu")]),
            (
                "市商务局、商务局、成都市商务局",
                vec![department("commerce")],
            ),
            ("市统计局等", vec![department("statistics")]),
            ("", vec![]),
            (" 、 ", vec![]),
        ];
        for (cell, expected) in cases {
            assert_eq!(units.cell(cell), Ok(expected), "{cell}");
        }
    }

    #[test]
    fn collective_names_mean_every_district() {
        let (plan, units) = resolver();
        let districts = units.cell("各区（市）县").unwrap();
        assert_eq!(districts.len(), 20);
        assert!(districts.contains(&region("510185")));
        assert!(!districts.contains(&region("gaoxin")));
        assert!(!districts.contains(&region(&plan.region)));
        assert_eq!(units.cell("各区(市)县政府").unwrap(), districts);
        assert_eq!(units.cell("各区（市、县）").unwrap(), districts);
        let with_areas = units.cell("各区（市）县政府（管委会）").unwrap();
        let areas = plan
            .regions
            .iter()
            .filter(|r| r.kind == RegionKind::ManagedArea)
            .count();
        assert_eq!(with_areas.len(), 20 + areas);
        assert!(with_areas.contains(&region("tianfu")));
        assert_eq!(
            units.cell("市商务局、各管委会").unwrap(),
            std::iter::once(department("commerce"))
                .chain(with_areas[20..].iter().cloned())
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn every_unknown_name_is_reported_with_the_cell() {
        let (_, units) = resolver();
        let cell = "市商务局、市外星局；市级相关部门，锦江区管委会";
        let problems = units.cell(cell).unwrap_err();
        assert_eq!(
            problems,
            vec![
                UnitProblem::Unknown {
                    name: "市外星局".into(),
                    cell: cell.into()
                },
                UnitProblem::Vague {
                    name: "市级相关部门".into(),
                    cell: cell.into()
                },
                UnitProblem::Unknown {
                    name: "锦江区管委会".into(),
                    cell: cell.into()
                },
            ]
        );
        let message = problems[0].to_string();
        assert!(message.contains("市外星局") && message.contains("is no department"));
    }

    proptest! {
        /// Any names of the plan's departments, joined by any separators, give back those
        /// departments in order.
        #[test]
        fn joined_names_split_back(picks in proptest::collection::vec((0usize..100, 0usize..7), 1..8)) {
            let (plan, units) = resolver();
            let separators = ["、", "，", ",", "；", ";", "\n", "\r\n"];
            let mut cell = String::new();
            let mut expected: Vec<Unit> = Vec::new();
            for (i, (pick, separator)) in picks.iter().enumerate() {
                let department = &plan.departments[pick % plan.departments.len()];
                let names: Vec<&String> = std::iter::once(&department.name.zh).chain(&department.aliases).collect();
                if i > 0 {
                    cell.push_str(separators[*separator]);
                }
                cell.push_str(names[pick % names.len()]);
                let unit = Unit::Department(department.code.clone());
                if !expected.contains(&unit) {
                    expected.push(unit);
                }
            }
            prop_assert_eq!(units.cell(&cell), Ok(expected));
        }
    }
}
