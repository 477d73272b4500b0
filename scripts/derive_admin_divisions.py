"""Derive tadafur/data/admin_divisions.json from shared/data/morocco-admin-divisions.

Keeps the 12 regions, and the provinces and communes of the programme's five regions, with
names in ar/fr/en. Marks 60 communes as programme partners (12 per region, spread over the
provinces, in a stable order) so a new installation has the programme's shape; an
administrator corrects the list in the browser or by CSV. The source ids are not kept:
our communes get their own ids (the source's are not official HCP codes).

Run: python scripts/derive_admin_divisions.py ../shared/data/morocco-admin-divisions
"""

from __future__ import annotations

import json
import sys
from itertools import zip_longest
from pathlib import Path

REGION_CODES = {
    "REGION_01": "BMK", "REGION_02": "CS", "REGION_03": "DOD", "REGION_04": "DT",
    "REGION_05": "FM", "REGION_06": "GON", "REGION_07": "LSH", "REGION_08": "MS",
    "REGION_09": "OR", "REGION_10": "RSK", "REGION_11": "SM", "REGION_12": "TTA",
}
PROGRAMME_REGIONS = {"CS", "OR", "SM", "TTA", "BMK"}
PARTNERS_PER_REGION = 12


def names(item: dict) -> dict:
    return {lang: item["name"][lang].strip() for lang in ("ar", "fr", "en")}


def derive(source: Path) -> dict:
    regions = json.loads((source / "regions.json").read_text())["regions"]
    divisions = json.loads((source / "region-divisions.json").read_text())["region_divisions"]
    communes = json.loads((source / "communes.json").read_text())["communes"]
    out_regions = []
    for region in regions:
        code = REGION_CODES[region["id"]]
        entry = {"code": code, "name": names(region), "in_programme": code in PROGRAMME_REGIONS,
                 "provinces": []}
        if code in PROGRAMME_REGIONS:
            for division in sorted((d for d in divisions if d["region_id"] == region["id"]),
                                   key=lambda d: d["name"]["fr"]):
                members = sorted((c for c in communes
                                  if c["region_division_id"] == division["id"]),
                                 key=lambda c: c["name"]["fr"])
                # The source repeats a few names within a province: keep the first.
                unique = {}
                for commune in members:
                    unique.setdefault(commune["name"]["fr"].strip(), commune)
                members = list(unique.values())
                entry["provinces"].append({
                    "name": names(division), "kind": division["type"],
                    "communes": [{"name": names(c),
                                  "kind": "urban" if c["type"].startswith("urb") else "rural",
                                  "partner": False} for c in members],
                })
            # Round-robin over provinces so partners spread across the region.
            picks = [c for group in zip_longest(*(p["communes"] for p in entry["provinces"]))
                     for c in group if c is not None][:PARTNERS_PER_REGION]
            for commune in picks:
                commune["partner"] = True
        out_regions.append(entry)
    return {
        "source": "mahdiboughrous/moroccan-administrative-division-data (MIT), derived",
        "licence": (source / "LICENSE").read_text(),
        "regions": out_regions,
    }


if __name__ == "__main__":
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/morocco-admin-divisions")
    target = Path(__file__).resolve().parent.parent / "tadafur" / "data" / "admin_divisions.json"
    target.write_text(json.dumps(derive(source), ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {target}")
