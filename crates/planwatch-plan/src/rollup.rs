//! Which figures add up (the roll-up rule, "districts against the city"): for an indicator the
//! plan marks `additive`, the figures of the plan region's county-level divisions (districts,
//! counties, county-level cities) add up to the plan region's figure, within a tolerance for
//! rounding in published figures. Managed areas overlap the districts and are left out. The
//! import checks it when it stores rows; the review of a submission shows it.

use crate::model::{Plan, RegionKind};

/// Districts may sum above (or, all known, below) the plan region's figure by this many percent
/// of it before the roll-up check speaks: rounding in published figures.
pub const ROLLUP_TOLERANCE_PERCENT: f64 = 0.5;

impl Plan {
    /// The index of the plan's own region (the total of the roll-up), if the plan lists it.
    pub fn rollup_total(&self) -> Option<usize> {
        self.regions.iter().position(|r| r.code == self.region)
    }

    /// The indexes of the regions whose figures add up to the plan region's: its county-level
    /// divisions, in the plan's order (managed areas overlap them and are left out).
    pub fn rollup_districts(&self) -> Vec<usize> {
        self.regions
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                r.parent.as_deref() == Some(self.region.as_str())
                    && matches!(
                        r.kind,
                        RegionKind::District
                            | RegionKind::County
                            | RegionKind::CountyCity
                            | RegionKind::Province
                            | RegionKind::City
                    )
            })
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_chengdu_districts_add_up_to_the_city_and_managed_areas_do_not() {
        let plan = crate::chengdu::plan();
        let total = plan.rollup_total().unwrap();
        assert_eq!(plan.regions[total].code, "510100");
        let districts: Vec<&str> = plan
            .rollup_districts()
            .into_iter()
            .map(|i| plan.regions[i].code.as_str())
            .collect();
        assert_eq!(districts.len(), 20, "{districts:?}");
        assert!(districts.contains(&"510104") && districts.contains(&"510185"));
        assert!(!districts.contains(&"gaoxin") && !districts.contains(&"510100"));
    }
}
