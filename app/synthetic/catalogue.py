"""National recipes, school and staff mixes, and names for the synthetic nation.

Recipes name foods by their catalogue code (TKPI), with edible grams per standard portion
for a primary-school lunch; a menu serves one recipe of each category below.
"""

RecipeSpec = tuple[str, str, tuple[tuple[str, float], ...]]

RECIPES: tuple[RecipeSpec, ...] = (
    ("Nasi putih", "staple", (("AR001", 65.0),)),
    ("Nasi beras merah", "staple", (("AR013", 65.0),)),
    ("Nasi jagung", "staple", (("AR001", 45.0), ("AR005", 20.0))),
    ("Nasi uduk", "staple", (("AR001", 60.0), ("KP003", 25.0))),
    ("Mi goreng", "staple", (("AP022", 55.0), ("KR012", 5.0), ("NP005", 5.0))),
    ("Kentang balado", "staple", (("BR013", 200.0), ("KR012", 5.0), ("NR014", 5.0))),
    ("Ayam goreng", "animal_protein", (("FR005", 45.0), ("KR012", 4.0), ("NR008", 2.0))),
    ("Semur ayam", "animal_protein", (("FR005", 45.0), ("NP005", 6.0), ("NR007", 4.0))),
    ("Telur balado", "animal_protein", (("HR002", 55.0), ("NR014", 6.0), ("KR012", 3.0))),
    ("Telur dadar", "animal_protein", (("HR002", 55.0), ("DR018", 5.0), ("KR012", 4.0))),
    ("Pepes ikan kembung", "animal_protein", (("GR050", 55.0), ("NR022", 2.0))),
    ("Bandeng goreng", "animal_protein", (("GR007", 55.0), ("KR012", 4.0))),
    ("Tongkol balado", "animal_protein", (("GR070", 50.0), ("NR014", 6.0), ("KR012", 3.0))),
    ("Rendang sapi", "animal_protein", (("FR025", 40.0), ("KP004", 12.0), ("NR015", 2.0))),
    ("Ayam suwir kecap", "animal_protein", (("FR005", 40.0), ("NP005", 6.0))),
    ("Tempe goreng", "plant_protein", (("CP077", 35.0), ("KR012", 4.0))),
    ("Tahu bacem", "plant_protein", (("CP061", 50.0), ("MP005", 4.0), ("NP005", 3.0))),
    ("Orek tempe", "plant_protein", (("CP077", 35.0), ("NP005", 5.0), ("NR014", 2.0))),
    ("Perkedel tahu", "plant_protein", (("CP061", 45.0), ("HR002", 8.0), ("KR012", 3.0))),
    ("Tahu goreng", "plant_protein", (("CP061", 50.0), ("KR012", 4.0))),
    ("Sayur kacang merah", "plant_protein", (("CR026", 20.0), ("DR166", 15.0))),
    ("Sayur bayam jagung", "vegetable", (("DR008", 50.0), ("DR085", 20.0))),
    ("Tumis kangkung", "vegetable", (("DR100", 55.0), ("NR008", 3.0), ("KR012", 3.0))),
    ("Sayur asem", "vegetable", (("DR097", 25.0), ("DR123", 30.0), ("DR085", 15.0))),
    ("Capcay", "vegetable", (("DR166", 20.0), ("DR114", 30.0), ("DR141", 20.0))),
    ("Sayur sop", "vegetable", (("DR166", 25.0), ("BR013", 20.0), ("DR114", 25.0))),
    ("Tumis buncis wortel", "vegetable", (("DR013", 40.0), ("DR166", 20.0), ("KR012", 3.0))),
    ("Sayur lodeh", "vegetable", (("DR123", 40.0), ("DR097", 20.0), ("KP003", 25.0))),
    ("Pisang", "fruit", (("ER074", 70.0),)),
    ("Jeruk manis", "fruit", (("ER039", 80.0),)),
    ("Semangka", "fruit", (("ER105", 100.0),)),
    ("Pepaya", "fruit", (("ER073", 90.0),)),
    ("Melon", "fruit", (("ER067", 90.0),)),
    ("Apel", "fruit", (("ER004", 80.0),)),
)

MENU_CATEGORIES = ("staple", "animal_protein", "plant_protein", "vegetable", "fruit")

# Energy each group should get from lunch, as a share of its AKG daily need: the middle of
# the contract's default lunch band (0.30-0.35). A nutritionist scales the standard portion
# per group to hit it; the scaling is the menu's portion factors.
LUNCH_ENERGY_SHARE = 0.325

# (level, weight in the mix, enrolment range, target groups with their share of pupils)
SchoolMix = tuple[str, int, tuple[int, int], tuple[tuple[str, float], ...]]
SCHOOL_MIX: tuple[SchoolMix, ...] = (
    ("paud", 2, (35, 90), (("4-6", 1.0),)),
    ("sd", 6, (140, 420), (("7-9", 0.5), ("10-12-m", 0.25), ("10-12-f", 0.25))),
    ("smp", 2, (250, 620), (("13-15-m", 0.5), ("13-15-f", 0.5))),
    ("sma", 1, (250, 700), (("16-18-m", 0.48), ("16-18-f", 0.52))),
    ("smk", 1, (250, 700), (("16-18-m", 0.6), ("16-18-f", 0.4))),
)
SCHOOL_NAMES = {
    "paud": "TK Pertiwi",
    "sd": "SD Negeri",
    "smp": "SMP Negeri",
    "sma": "SMA Negeri",
    "smk": "SMK Negeri",
}

# Fifty staff of an SPPG, by role.
STAFF_ROLES: tuple[tuple[str, int], ...] = (
    ("head", 1),
    ("nutritionist", 1),
    ("accountant", 1),
    ("cook", 8),
    ("cook_assistant", 8),
    ("prep", 10),
    ("portioning", 10),
    ("driver", 4),
    ("washer", 4),
    ("cleaner", 2),
    ("security", 1),
)
FOOD_HANDLING = frozenset({"cook", "cook_assistant", "prep", "portioning"})

# Two shifts a school day, in kitchen-local hours: (name, start hour, hours, roles).
SHIFTS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("Persiapan dan masak", 1, 8, ("head", "nutritionist", "cook", "cook_assistant", "prep")),
    ("Porsi dan distribusi", 6, 8, ("portioning", "driver", "washer", "cleaner")),
)

GIVEN_NAMES = (
    "Siti", "Ahmad", "Dewi", "Budi", "Sri", "Agus", "Rina", "Eko", "Nur", "Andi", "Ayu",
    "Dian", "Yusuf", "Wahyu", "Fitri", "Made", "Komang", "Ketut", "Rizky", "Putri", "Hendra",
    "Lestari", "Joko", "Maria", "Yohanes", "Fransiska", "Ratna", "Bayu", "Indah", "Teguh",
)  # fmt: skip
FAMILY_NAMES = (
    "Rahmawati", "Santoso", "Saputra", "Wijaya", "Hidayat", "Nasution", "Siregar", "Lubis",
    "Sihombing", "Pratama", "Kurniawan", "Setiawan", "Purnomo", "Manurung", "Simanjuntak",
    "Wulandari", "Susanti", "Handayani", "Tanjung", "Harahap", "Pangaribuan", "Mandagi",
    "Sondakh", "Rumbiak", "Wonda", "Latuconsina", "Pattimura", "Daeng", "Lamba", "Nggadas",
)  # fmt: skip
