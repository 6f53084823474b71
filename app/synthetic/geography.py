"""Indonesia's provinces with their Permendagri codes, population and time zone.

Population (millions, rounded) weights where kitchens go; the regency and city counts make
plausible regency codes (`kab` 01..n, `kota` 71..). Time zones follow the brief the
contract names: WIT for Maluku and Papua, WITA for Bali, Nusa Tenggara, Sulawesi and
East, South and North Kalimantan, WIB elsewhere.
"""

from dataclasses import dataclass

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    population_m: float
    regencies: int
    cities: int
    timezone: str

    def regency_codes(self) -> list[str]:
        """Codes of its regencies (`PP.01`..) and cities (`PP.71`..)."""
        kab = [f"{self.code}.{n:02d}" for n in range(1, self.regencies + 1)]
        kota = [f"{self.code}.{70 + n:02d}" for n in range(1, self.cities + 1)]
        return kab + kota


PROVINCES: tuple[Province, ...] = (
    Province("11", "Aceh", 5.4, 18, 5, WIB),
    Province("12", "Sumatera Utara", 15.4, 25, 8, WIB),
    Province("13", "Sumatera Barat", 5.6, 12, 7, WIB),
    Province("14", "Riau", 6.6, 10, 2, WIB),
    Province("15", "Jambi", 3.6, 9, 2, WIB),
    Province("16", "Sumatera Selatan", 8.7, 13, 4, WIB),
    Province("17", "Bengkulu", 2.1, 9, 1, WIB),
    Province("18", "Lampung", 9.3, 13, 2, WIB),
    Province("19", "Kepulauan Bangka Belitung", 1.5, 6, 1, WIB),
    Province("21", "Kepulauan Riau", 2.1, 5, 2, WIB),
    Province("31", "DKI Jakarta", 10.7, 1, 5, WIB),
    Province("32", "Jawa Barat", 49.9, 18, 9, WIB),
    Province("33", "Jawa Tengah", 37.5, 29, 6, WIB),
    Province("34", "DI Yogyakarta", 3.7, 4, 1, WIB),
    Province("35", "Jawa Timur", 41.4, 29, 9, WIB),
    Province("36", "Banten", 12.3, 4, 4, WIB),
    Province("51", "Bali", 4.4, 8, 1, WITA),
    Province("52", "Nusa Tenggara Barat", 5.5, 8, 2, WITA),
    Province("53", "Nusa Tenggara Timur", 5.5, 21, 1, WITA),
    Province("61", "Kalimantan Barat", 5.5, 12, 2, WIB),
    Province("62", "Kalimantan Tengah", 2.7, 13, 1, WIB),
    Province("63", "Kalimantan Selatan", 4.1, 11, 2, WITA),
    Province("64", "Kalimantan Timur", 3.9, 7, 3, WITA),
    Province("65", "Kalimantan Utara", 0.7, 4, 1, WITA),
    Province("71", "Sulawesi Utara", 2.6, 11, 4, WITA),
    Province("72", "Sulawesi Tengah", 3.0, 12, 1, WITA),
    Province("73", "Sulawesi Selatan", 9.1, 21, 3, WITA),
    Province("74", "Sulawesi Tenggara", 2.6, 15, 2, WITA),
    Province("75", "Gorontalo", 1.2, 5, 1, WITA),
    Province("76", "Sulawesi Barat", 1.4, 6, 0, WITA),
    Province("81", "Maluku", 1.8, 9, 2, WIT),
    Province("82", "Maluku Utara", 1.3, 8, 2, WIT),
    Province("91", "Papua", 1.0, 8, 1, WIT),
    Province("92", "Papua Barat", 0.6, 7, 0, WIT),
    Province("93", "Papua Selatan", 0.5, 4, 0, WIT),
    Province("94", "Papua Tengah", 1.4, 8, 0, WIT),
    Province("95", "Papua Pegunungan", 1.4, 8, 0, WIT),
    Province("96", "Papua Barat Daya", 0.6, 5, 1, WIT),
)


def allocate_kitchens(total: int) -> list[Province]:
    """`total` provinces, one per kitchen, in proportion to population (largest remainder).

    Every province gets at least one kitchen once there are as many kitchens as provinces.
    """
    weight = sum(p.population_m for p in PROVINCES)
    floor_one = total >= len(PROVINCES)
    shares = [total * p.population_m / weight for p in PROVINCES]
    counts = [max(int(s), 1 if floor_one else 0) for s in shares]
    by_remainder = sorted(range(len(PROVINCES)), key=lambda i: shares[i] - int(shares[i]))
    while sum(counts) < total:
        counts[by_remainder.pop()] += 1
    while sum(counts) > total:
        largest = max(range(len(PROVINCES)), key=lambda i: counts[i])
        counts[largest] -= 1
    return [p for p, n in zip(PROVINCES, counts, strict=True) for _ in range(n)]
