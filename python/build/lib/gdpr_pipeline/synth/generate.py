"""Deterministic, realistic synthetic raw data for the pipeline (the raw data contract).

The pipeline is only as convincing as the data it is shown on, so the generator aims for data
that exercises every rule the warehouse enforces:

* direct identifiers in many scripts (names and e-mails with non-ASCII letters), because
  pseudonymization and CSV handling must not assume ASCII;
* a skewed country distribution with a long tail, so that k-anonymity has small cells to
  suppress or generalize;
* consent logs with grants, withdrawals and policy versions over time, so that the consent
  filter has something to decide;
* purchases with a planted, learnable signal (purchase propensity driven by age, income,
  country and a latent factor), so that the model trained on the release is meaningfully
  better than chance;
* erasure requests, so erasure is exercised end to end;
* a small, deterministic share of defective consent events (bad purpose or action, missing
  fields, unknown subjects, duplicated rows), so the quarantine is exercised.

Everything is vectorized per chunk of subjects and each chunk draws from its own generator
seeded from ``(seed, chunk_index)``: memory stays bounded at any size, and the same arguments
always give byte-identical files. All timestamps are whole seconds, UTC, strictly before the
anchor.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from tqdm import tqdm

__all__ = [
    "DEFAULT_ANCHOR",
    "FORMATS",
    "TABLES",
    "GenerateSummary",
    "generate",
    "summary_line",
]

DEFAULT_ANCHOR = dt.datetime(2026, 11, 1)
"""The generated data ends just before this instant (UTC); the demo builds ``as_of`` it."""

FORMATS = ("csv", "parquet")
TABLES = ("subjects", "consent_events", "purchases", "erasure_requests")

PURPOSES = ("model_training", "marketing", "analytics")
ACTIONS = ("grant", "withdraw")
CHANNELS = ("web", "app", "email", "call_center")
POLICY_VERSIONS = ("1.0", "2.0", "2.1")
CATEGORIES = ("books", "electronics", "fashion", "grocery", "home", "sports", "toys", "travel")

# Defective values are appended to the valid vocabularies, so a defect is just another code.
_BAD_PURPOSES = ("Model_Training", "newsletter", "model_training ", "MARKETING", " analytics")
_BAD_ACTIONS = ("GRANT", "optout", "Withdraw", "granted", "revoke")
_DEFECT_KINDS = (
    "bad_purpose",
    "bad_action",
    "null_subject_id",
    "null_recorded_at",
    "unknown_subject_id",
    "duplicate_row",
)
_MIN_DEFECTS_FROM = 1_000  # at least one defect of each kind from this many subjects on
_MIN_ERASURES_FROM = 100  # at least one erasure request from this many subjects on
_MAX_SUBJECTS = 899_999_999  # ids S9xxxxxxxx are reserved for unknown-subject defects

_DAY = 86_400
_YEAR_DAYS = 365.2425
_SIGNUP_YEARS = 5  # created_at spreads over the five years before the anchor
_PURCHASE_DAYS = 3 * 365  # purchases cover the three years before the anchor
_ERASURE_DAYS = 365  # erasure requests arrive in the last year

# --- countries ------------------------------------------------------------------------------
# (code, share of subjects, income factor, purchase propensity log-effect, postcode pattern)
# Postcode pattern: '#' digit, '%' digit 1-9, '@' letter A-Z, '^' Eircode letter, '*' Eircode
# letter or digit, else literal.
_COUNTRIES: tuple[tuple[str, float, float, float, str], ...] = (
    ("DE", 0.300, 1.05, 0.00, "#####"),
    ("FR", 0.180, 1.00, -0.05, "#####"),
    ("NL", 0.090, 1.10, 0.25, "%### @@"),
    ("ES", 0.080, 0.82, -0.10, "#####"),
    ("IT", 0.080, 0.88, -0.10, "#####"),
    ("PL", 0.060, 0.70, 0.05, "##-###"),
    ("BE", 0.045, 1.05, 0.00, "%###"),
    ("AT", 0.035, 1.08, 0.00, "%###"),
    ("SE", 0.030, 1.10, 0.30, "%## ##"),
    ("PT", 0.025, 0.70, -0.15, "%###-###"),
    ("DK", 0.020, 1.25, 0.35, "%###"),
    ("IE", 0.016, 1.15, 0.15, "^## ****"),
    ("FI", 0.013, 1.05, 0.10, "#####"),
    ("CZ", 0.011, 0.72, 0.00, "%## ##"),
    ("GR", 0.008, 0.65, -0.20, "%## ##"),
    ("HU", 0.005, 0.62, -0.10, "%###"),
    ("LU", 0.0015, 1.60, 0.30, "L-%###"),
    ("MT", 0.0005, 0.85, 0.00, "@@@ %###"),
)
_COUNTRY_CODES = tuple(c[0] for c in _COUNTRIES)
_COUNTRY_P = np.array([c[1] for c in _COUNTRIES]) / sum(c[1] for c in _COUNTRIES)
_COUNTRY_INCOME_LOG = np.log(np.array([c[2] for c in _COUNTRIES]))
_COUNTRY_PROPENSITY = np.array([c[3] for c in _COUNTRIES])

# --- names ----------------------------------------------------------------------------------
# Name pools: (first names, family names, family name written first). Each subject draws from
# the pool of their country, or with _MIGRANT_SHARE from one of the migrant pools, so that
# every country holds some names in other scripts.
_NamePool = tuple[tuple[str, ...], tuple[str, ...], bool]


def _pool(first: str, last: str, *, family_first: bool = False) -> _NamePool:
    """A name pool from comma-separated lists (kept as text so the lists stay readable)."""
    return (
        tuple(x.strip() for x in first.split(",")),
        tuple(x.strip() for x in last.split(",")),
        family_first,
    )


_COUNTRY_NAMES: dict[str, _NamePool] = {
    "DE": _pool(
        "Lukas, Leon, Jürgen, Jörg, Maximilian, Felix, Jonas, Anna, Lena, Sophie, Zoë, Käthe, Mia,"
        " Hannah, Björn, Günther, Uwe, Sabine",
        "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schäfer, Koch, Bauer, "
        "Richter, Klein, Wolf, Schröder, Neumann, Zimmermann, Krüger, Hofmann, Weiß, Köhler, Groß",
    ),
    "FR": _pool(
        "Jean, Léa, Chloé, Zoé, Hélène, Gaëlle, François, Jérôme, Loïc, Mathéo, Élodie, Noël, "
        "Camille, Lucas, Hugo, Manon, Anaïs",
        "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Lefèvre, "
        "Girard, Bonnet, Dupont, Lambert, Fontaine, Rousseau, Chevalier, Gauthier, Bérenger",
    ),
    "NL": _pool(
        "Daan, Sem, Noah, Bram, Sanne, Fleur, Anouk, Eva, Lotte, Joëlle, Thijs, Ruud, Femke, "
        "Maartje",
        "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Visser, Smit, Meijer, de Boer,"
        " Mulder, de Groot, Bos, Vos, Peters, IJzerman",
    ),
    "ES": _pool(
        "José, María, Lucía, Martín, Hugo, Álvaro, Sofía, Inés, Jesús, Ángel, Paula, Raúl, Begoña,"
        " Íñigo, Nuria, Carmen",
        "García, Fernández, González, Rodríguez, López, Martínez, Sánchez, Pérez, Gómez, Martín, "
        "Jiménez, Ruiz, Hernández, Díaz, Muñoz, Álvarez, Ibáñez, Núñez",
    ),
    "IT": _pool(
        "Francesco, Giulia, Alessandro, Chiara, Matteo, Sofia, Lorenzo, Aurora, Niccolò, Martina, "
        "Andrea, Federica, Giorgio, Elena, Mattia",
        "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, Bruno, "
        "Gallo, Conti, De Luca, Mancini, Costa, D'Angelo, Fabbri",
    ),
    "PL": _pool(
        "Łukasz, Zofia, Jakub, Małgorzata, Paweł, Agnieszka, Wojciech, Katarzyna, Michał, Zuzanna,"
        " Piotr, Grzegorz, Ewa, Bartłomiej",
        "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, "
        "Szymański, Woźniak, Dąbrowski, Kozłowski, Jankowski, Mazur, Krawczyk, Łukasiewicz",
    ),
    "BE": _pool(
        "Lucas, Emma, Louis, Olivia, Noah, Arthur, Léon, Mila, Jules, Elise, Wouter, Anaïs",
        "Peeters, Janssens, Maes, Jacobs, Mertens, Willems, Claes, Goossens, Wouters, De Smet, "
        "Dubois, Lambert, Van Damme",
    ),
    "AT": _pool(
        "Lukas, Tobias, Florian, Johanna, Magdalena, Lea, Valentina, Anna, Sebastian, Jürgen, "
        "Theresa",
        "Gruber, Huber, Bauer, Wagner, Müller, Pichler, Steiner, Moser, Mayer, Hofer, Leitner, "
        "Berger, Fuchs, Strauß, Gößwein",
    ),
    "SE": _pool(
        "Erik, Lars, Åsa, Björn, Linnéa, Maja, Elsa, Astrid, Oskar, Håkan, Göran, Ingrid, Sven, "
        "Signe",
        "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsson, Persson, Svensson, "
        "Gustafsson, Lindström, Åberg, Ström, Sjöberg, Öberg",
    ),
    "PT": _pool(
        "João, Maria, Ana, Inês, Tomás, Gonçalo, Beatriz, Leonor, Rodrigo, Francisca, Afonso, "
        "Conceição",
        "Silva, Santos, Ferreira, Pereira, Oliveira, Costa, Rodrigues, Martins, Sousa, Fernandes, "
        "Gonçalves, Gomes, Simões, Magalhães, Guimarães",
    ),
    "DK": _pool(
        "Søren, Mette, Jens, Frederik, Ida, Emma, Anders, Kirsten, Mads, Sofie, Rasmus, Bodil, "
        "Jørgen",
        "Nielsen, Jensen, Hansen, Pedersen, Andersen, Christensen, Larsen, Sørensen, Rasmussen, "
        "Jørgensen, Petersen, Madsen, Møller, Kjær, Dahl",
    ),
    "IE": _pool(
        "Seán, Siobhán, Aoife, Niamh, Conor, Ciarán, Pádraig, Róisín, Saoirse, Cian, Oisín, Éabha,"
        " Liam, Jack",
        "Murphy, Kelly, O'Sullivan, Walsh, Smith, O'Brien, Byrne, Ryan, O'Connor, Ó Briain, Doyle,"
        " McCarthy, Gallagher, Ó Súilleabháin",
    ),
    "FI": _pool(
        "Mikko, Juha, Aino, Eetu, Väinö, Helmi, Siiri, Onni, Päivi, Sanna, Antti, Leena",
        "Korhonen, Virtanen, Mäkinen, Nieminen, Mäkelä, Hämäläinen, Laine, Heikkinen, Koskinen, "
        "Järvinen, Lehtonen, Jääskeläinen",
    ),
    "CZ": _pool(
        "Jiří, Jan, Petr, Tomáš, Eliška, Tereza, Anežka, Lukáš, Kateřina, Jakub, Zdeněk, Markéta, "
        "Vojtěch",
        "Novák, Svoboda, Novotný, Dvořák, Černý, Procházka, Kučera, Veselý, Horák, Němec, Pokorný,"
        " Růžička, Král, Beneš",
    ),
    "GR": _pool(
        "Γιώργος, Μαρία, Δημήτρης, Ελένη, Νίκος, Κατερίνα, Giorgos, Eleni, Konstantinos, Sofia",
        "Παπαδόπουλος, Γεωργίου, Οικονόμου, Papadopoulos, Papageorgiou, Vlachos, Nikolaidis, "
        "Μακρής, Angelopoulos",
    ),
    "HU": _pool(
        "Bence, Máté, Dániel, Levente, Zsófia, Réka, Júlia, Anna, Gergő, Eszter, Ádám, Lőrinc, "
        "Zoltán",
        "Nagy, Kovács, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh, Takács, "
        "Juhász, Mészáros",
    ),
    "LU": _pool(
        "Luc, Mathis, Léa, Emma, Jeff, Claude, Josée, Yves, Lynn, Tom",
        "Schmit, Muller, Weber, Wagner, Hoffmann, Thill, Schmitz, Kremer, Reuter, Majerus, Feltgen",
    ),
    "MT": _pool(
        "Ġużeppi, Marija, Ġorġ, Carmel, Rita, Luke, Maria, Ċensu, Doris, Matthew, Kurt, Nicole",
        "Borg, Camilleri, Vella, Farrugia, Zammit, Galea, Micallef, Grech, Attard, Spiteri, "
        "Azzopardi, Mifsud",
    ),
}
_MIGRANT_SHARE = 0.10
_MIGRANT_NAMES: dict[str, tuple[float, _NamePool]] = {
    "TR": (
        0.24,
        _pool(
            "Mehmet, Ayşe, Mustafa, Fatma, Emre, Zeynep, Elif, Burak, Çağla, Gökhan, Şeyma, "
            "İbrahim",
            "Yılmaz, Kaya, Demir, Şahin, Çelik, Yıldız, Öztürk, Aydın, Özdemir, Arslan, Doğan",  # noqa: RUF001,
        ),
    ),
    "AR": (
        0.18,
        _pool(
            "Mohammed, Fatima, Ahmed, Aisha, Omar, Layla, Youssef, Mariam, Karim, Nour, محمد, "
            "فاطمة",
            "Al-Sayed, Haddad, Khalil, Mansour, Nasser, Saleh, Benali, El Amrani, Bouzid, Hassan, "
            "حداد",
        ),
    ),
    "UA": (
        0.16,
        _pool(
            "Олександр, Оксана, Andriy, Iryna, Дмитро, Наталія, Taras, Yulia",
            "Шевченко, Kovalenko, Бондаренко, Tkachenko, Мельник, Kravchenko, Бойко, Oliynyk",
        ),
    ),
    "IN": (
        0.12,
        _pool(
            "Aarav, Priya, Rohan, Ananya, Vikram, Sneha, Arjun, Kavya",
            "Sharma, Patel, Singh, Kumar, Gupta, Reddy, Iyer, Nair",
        ),
    ),
    "VN": (
        0.1,
        _pool(
            "An, Minh, Linh, Thảo, Đức, Hương, Tuấn, Ngọc, Phương, Hùng",
            "Nguyễn, Trần, Lê, Phạm, Hoàng, Huỳnh, Phan, Vũ, Võ, Đặng",
            family_first=True,
        ),
    ),
    "CN": (
        0.08,
        _pool(
            "伟, 芳, 娜, 敏, 静, 磊, 洋, 婷",
            "王, 李, 张, 刘, 陈, 杨, 黄, 赵",
            family_first=True,
        ),
    ),
    "JP": (
        0.06,
        _pool(
            "翔太, 陽菜, 蓮, 結衣, 大翔, 美咲, 健太, さくら",
            "渡辺, 佐藤, 鈴木, 高橋, 田中, 伊藤, 山本, 中村",
            family_first=True,
        ),
    ),
    "IS": (
        0.06,
        _pool(
            "Guðrún, Sigurður, Jón, Kristín, Ólafur, Þórunn, Einar, Helga",
            "Ólafsdóttir, Jónsdóttir, Sigurðsson, Guðmundsson, Jónsson, Einarsdóttir, Þórsson, "
            "Magnúsdóttir",
        ),
    ),
}

# --- consent --------------------------------------------------------------------------------
# At sign-up a subject records a decision per purpose with these probabilities; later
# decisions arrive as a Poisson process over the subject's lifetime. Together they average
# `events_per_subject` (the sign-up part is scaled down when that is smaller).
_SIGNUP_P = np.array([0.85, 0.55, 0.40])
_EXTRA_SHARE = np.array([0.75, 0.15, 0.10])
_FIRST_GRANT_P = np.array([0.95, 0.85, 0.90])  # first decision per purpose is a grant
_FLIP_P = 0.30  # a later decision reverses the previous one (else it confirms it)
_POLICY_FROM_DAYS = (1_280, 520)  # policy 2.0 and 2.1 took effect this many days before
_POLICY_STALE_P = 0.03  # an outdated client still records the previous version
_CHANNEL_P = np.array([0.50, 0.30, 0.12, 0.08])
_SIGNUP_CHANNEL_P = np.array([0.60, 0.40, 0.0, 0.0])

# --- purchases ------------------------------------------------------------------------------
_INCOME_MEDIAN = 38_000.0
_INCOME_NULL_P = 0.08
_INCOME_SHIFT = 0.155  # centres the population median near _INCOME_MEDIAN
_LATENT_SIGMA = 1.10
_AGE_PROPENSITY = 0.25
_INCOME_PROPENSITY = 0.40
_CATEGORY_P = np.array([0.12, 0.10, 0.18, 0.22, 0.12, 0.10, 0.08, 0.08])
_CATEGORY_MEDIAN = np.array([18.0, 120.0, 45.0, 35.0, 60.0, 50.0, 25.0, 350.0])
_CATEGORY_SIGMA = np.array([0.45, 0.80, 0.60, 0.50, 0.70, 0.60, 0.50, 0.70])
# Relative purchase activity per hour of the day (UTC, so about an hour behind most buyers).
_HOUR_P = np.array(
    [
        [1.0, 0.6, 0.4, 0.3, 0.3, 0.5, 1.0, 2.0, 3.0, 3.5, 4.0, 4.5],  # 00-11 h
        [5.0, 5.0, 4.5, 4.5, 4.5, 5.0, 5.5, 6.5, 7.0, 6.5, 4.5, 2.5],  # 12-23 h
    ]
).ravel()
_WEEKDAY_FACTOR = np.array([0.96, 0.95, 0.96, 0.98, 1.02, 1.05, 1.08])  # Monday first

_ERASURE_P = 0.005


@dataclass(frozen=True)
class GenerateSummary:
    """What :func:`generate` wrote: row counts per file and where the files are."""

    out_dir: Path
    format: str
    subjects: int
    consent_events: int
    purchases: int
    erasure_requests: int
    files: dict[str, Path]


def summary_line(s: GenerateSummary) -> str:
    """One human line for logs and the CLI, e.g. ``1,000 subjects, ... -> data/raw (csv)``."""
    return (
        f"{s.subjects:,} subjects, {s.consent_events:,} consent events, "
        f"{s.purchases:,} purchases, {s.erasure_requests:,} erasure requests "
        f"-> {s.out_dir} ({s.format})"
    )


# ============================================================================================
# Public entry point
# ============================================================================================


def generate(
    out_dir: Path,
    subjects: int,
    *,
    fmt: str = "csv",
    seed: int = 42,
    anchor: dt.datetime = DEFAULT_ANCHOR,
    events_per_subject: float = 3.0,
    purchases_per_subject: float = 10.0,
    defect_rate: float = 0.002,
    chunk_size: int = 250_000,
    progress: bool | None = None,
) -> GenerateSummary:
    """Write the four raw files for ``subjects`` synthetic data subjects into ``out_dir``.

    The same arguments always give byte-identical files. Work happens per chunk of
    ``chunk_size`` subjects, each with its own generator seeded from ``(seed, chunk_index)``,
    so memory stays bounded; each file is written incrementally under a temporary name and
    renamed into place only once every file is complete, so a crash never leaves a half file
    under a final name. Files of the other format with the same names are removed at the end,
    so the directory never holds two competing versions of a table.
    """
    fmt = _check_args(
        fmt,
        subjects,
        seed,
        events_per_subject,
        purchases_per_subject,
        defect_rate,
        chunk_size,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    clock = _Clock.from_anchor(anchor)
    calibration = _purchase_calibration(clock.anchor_s)
    show = progress if progress is not None else subjects >= 100_000
    schemas = _schemas(fmt)

    final = {name: out_dir / f"{name}.{fmt}" for name in TABLES}
    temp = {name: out_dir / f".{name}.{fmt}.partial" for name in TABLES}
    writers: dict[str, _Writer] = {}
    state = _RunState()
    n_chunks = math.ceil(subjects / chunk_size)
    try:
        for name in TABLES:
            writers[name] = _Writer(temp[name], schemas[name], fmt)
        with tqdm(
            total=subjects,
            unit="subj",
            unit_scale=True,
            disable=not show,
            file=sys.stderr,
            desc="generate",
        ) as bar:
            for chunk_index in range(n_chunks):
                start = chunk_index * chunk_size
                n = min(chunk_size, subjects - start)
                chunk = _Chunk(
                    rngs=np.random.default_rng([seed, chunk_index]).spawn(5),
                    start=start,
                    n=n,
                    last=chunk_index == n_chunks - 1,
                    total_subjects=subjects,
                    clock=clock,
                    calibration=calibration,
                    events_per_subject=events_per_subject,
                    purchases_per_subject=purchases_per_subject,
                    defect_rate=defect_rate,
                )
                batches = chunk.build(state, schemas)
                for name in TABLES:
                    writers[name].write(batches[name])
                bar.update(n)
        for name in TABLES:
            writers.pop(name).close()
        for name in TABLES:
            temp[name].replace(final[name])
        other = "parquet" if fmt == "csv" else "csv"
        for name in TABLES:
            (out_dir / f"{name}.{other}").unlink(missing_ok=True)
    except BaseException:
        for writer in writers.values():
            writer.abort()
        for path in temp.values():
            path.unlink(missing_ok=True)
        raise

    return GenerateSummary(
        out_dir=out_dir,
        format=fmt,
        subjects=subjects,
        consent_events=state.consent_rows,
        purchases=state.purchases,
        erasure_requests=state.erasures,
        files=final,
    )


def _check_args(
    fmt: str,
    subjects: int,
    seed: int,
    events_per_subject: float,
    purchases_per_subject: float,
    defect_rate: float,
    chunk_size: int,
) -> str:
    """Fail early with a message that names the bad argument, before any file is opened."""
    if not isinstance(fmt, str) or fmt.lower() not in FORMATS:
        raise ValueError(f"unsupported format {fmt!r}: expected one of {', '.join(FORMATS)}")
    if not 1 <= subjects <= _MAX_SUBJECTS:
        raise ValueError(f"subjects must be between 1 and {_MAX_SUBJECTS:,}, got {subjects!r}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    if not events_per_subject >= 0 or not purchases_per_subject >= 0:
        raise ValueError("events_per_subject and purchases_per_subject must be >= 0")
    if not 0 <= defect_rate <= 0.5:
        raise ValueError(f"defect_rate must be between 0 and 0.5, got {defect_rate!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size!r}")
    return fmt.lower()


# ============================================================================================
# Time
# ============================================================================================


@dataclass(frozen=True)
class _Clock:
    """The anchor as whole UTC seconds and days since the epoch (everything is relative)."""

    anchor_s: int

    @classmethod
    def from_anchor(cls, anchor: dt.datetime) -> _Clock:
        """Naive anchors are UTC; aware ones are converted. Data ends strictly before it."""
        if anchor.tzinfo is not None:
            anchor = anchor.astimezone(dt.UTC).replace(tzinfo=None)
        delta = anchor - dt.datetime(1970, 1, 1)
        return cls(anchor_s=delta.days * _DAY + delta.seconds)

    @property
    def anchor_day(self) -> int:
        """The calendar day (days since the epoch) that contains the anchor."""
        return self.anchor_s // _DAY


# ============================================================================================
# Subjects' numeric attributes (shared with the purchase calibration)
# ============================================================================================

_AGES = np.arange(18, 91)
_AGE_P = np.exp(-0.5 * ((_AGES - 40) / 17.0) ** 2) + 0.12
_AGE_P = _AGE_P / _AGE_P.sum()
_MIN_AGE_DAYS = 6_577  # 18 years and a couple of days: nobody is younger than 18
_MAX_AGE_DAYS = 33_235  # 91 years minus a couple of days: nobody is older than 90


def _demographics(rng: np.random.Generator, n: int, clock: _Clock) -> dict[str, np.ndarray]:
    """Country, age, income, sign-up time and purchase propensity for ``n`` subjects.

    Income depends mildly on age and country; the purchase propensity (log scale) peaks at
    ages 30-45, grows with income, is higher in a few countries and carries a latent
    per-subject factor, which is what makes purchases learnable but not trivially so.
    """
    country = rng.choice(len(_COUNTRIES), size=n, p=_COUNTRY_P).astype(np.int8)
    age_days = np.floor((rng.choice(_AGES, size=n, p=_AGE_P) + rng.random(n)) * _YEAR_DAYS).astype(
        np.int64
    )
    age_days = np.clip(age_days, _MIN_AGE_DAYS, _MAX_AGE_DAYS)
    birth_day = clock.anchor_day - age_days
    age = age_days / _YEAR_DAYS

    # Sign-up: more recent sign-ups are more common (a growing service), never before 18.
    adult_s = (age_days - _MIN_AGE_DAYS + 1) * _DAY
    max_back = np.minimum(int(_SIGNUP_YEARS * _YEAR_DAYS * _DAY), adult_s)
    back = 3_600 + np.floor((max_back - 3_600) * rng.random(n) ** 1.35).astype(np.int64)
    created_s = clock.anchor_s - back

    age_effect = -0.30 * ((age - 50.0) / 25.0) ** 2
    log_income = (
        math.log(_INCOME_MEDIAN)
        + _INCOME_SHIFT
        + age_effect
        + _COUNTRY_INCOME_LOG[country]
        + 0.55 * rng.standard_normal(n)
    )
    income = np.exp(log_income)
    income_null = rng.random(n) < _INCOME_NULL_P

    latent = rng.standard_normal(n)
    log_w = (
        -_AGE_PROPENSITY * ((age - 38.0) / 18.0) ** 2
        + _INCOME_PROPENSITY * (log_income - math.log(_INCOME_MEDIAN))
        + _COUNTRY_PROPENSITY[country]
        + _LATENT_SIGMA * latent
    )
    return {
        "country": country,
        "birth_day": birth_day,
        "age": age,
        "created_s": created_s,
        "income": income,
        "income_null": income_null,
        "propensity": np.exp(log_w),
    }


# ============================================================================================
# Purchases: a shared seasonal intensity, scaled per subject by the propensity
# ============================================================================================


@dataclass(frozen=True)
class _PurchaseCalibration:
    """The daily purchase intensity over the window and the constant that sets the mean.

    Every subject shares one intensity shape (season, weekday, growth), scaled by their
    propensity, so the number of purchases in any window is Poisson with a rate proportional
    to the propensity; ``scale`` makes the expected count per subject equal to
    ``purchases_per_subject``.
    """

    window_start_s: int
    cdf: np.ndarray  # cumulative share of intensity before day d, length days + 1
    scale: float


@functools.lru_cache(maxsize=8)
def _purchase_calibration(anchor_s: int) -> _PurchaseCalibration:
    """Compute the intensity shape and the mean-matching scale for one anchor.

    The scale comes from a fixed-seed sample of the same demographics, so it does not depend
    on chunking or the run's seed, and is computed once per anchor.
    """
    clock = _Clock(anchor_s)
    start_s = anchor_s - _PURCHASE_DAYS * _DAY
    k = np.arange(_PURCHASE_DAYS)
    day = (start_s + k * _DAY + _DAY // 2) // _DAY
    dates = day.astype("datetime64[D]")
    doy = (dates - dates.astype("datetime64[Y]")).astype(np.int64)
    weekday = (day + 3) % 7  # 1970-01-01 was a Thursday
    season = (
        1.0
        + 0.08 * np.cos(2 * np.pi * (doy - 10) / 365.0)
        + 0.35 * np.exp(-0.5 * ((doy - 345) / 12.0) ** 2)  # December gifts
        + 0.20 * np.exp(-0.5 * ((doy - 330) / 3.0) ** 2)  # late-November sales
    )
    growth = 1.0 + 0.25 * k / _PURCHASE_DAYS
    intensity = season * _WEEKDAY_FACTOR[weekday] * growth
    cdf = np.concatenate([[0.0], np.cumsum(intensity)])
    cdf = cdf / cdf[-1]

    sample = _demographics(np.random.default_rng(20_240_601), 400_000, clock)
    exposure = 1.0 - cdf[_first_purchase_day(sample["created_s"], start_s)]
    scale = 1.0 / float(np.mean(sample["propensity"] * exposure))
    return _PurchaseCalibration(window_start_s=start_s, cdf=cdf, scale=scale)


def _first_purchase_day(created_s: np.ndarray, window_start_s: int) -> np.ndarray:
    """First whole day of the window a subject can buy on: the day after sign-up."""
    first = np.where(created_s < window_start_s, 0, (created_s - window_start_s) // _DAY + 1)
    return np.minimum(first, _PURCHASE_DAYS)


# ============================================================================================
# Per-chunk generation
# ============================================================================================


@dataclass
class _RunState:
    """Counters carried from chunk to chunk so ids and defects are global and gap-free."""

    subjects: int = 0
    consent_events: int = 0  # distinct events (ids), before duplication
    consent_rows: int = 0  # rows written, duplicates included
    purchases: int = 0
    erasures: int = 0
    defects: int = 0
    defects_owed: int = 0


@dataclass
class _Chunk:
    """One chunk of subjects and everything that belongs to them."""

    rngs: list[np.random.Generator]
    start: int
    n: int
    last: bool
    total_subjects: int
    clock: _Clock
    calibration: _PurchaseCalibration
    events_per_subject: float
    purchases_per_subject: float
    defect_rate: float

    def build(self, state: _RunState, schemas: dict[str, pa.Schema]) -> dict[str, pa.RecordBatch]:
        """Generate the chunk and return one record batch per table.

        Each table draws from its own child generator, so changing, say, the purchase rate
        leaves the subjects and consent events of a seed unchanged.
        """
        r_subj, r_consent, r_purch, r_erase, r_defect = self.rngs
        demo = _demographics(r_subj, self.n, self.clock)
        numbers = np.arange(self.start + 1, self.start + self.n + 1, dtype=np.int64)
        subject_ids = _ids("S", numbers, 9)

        out = {
            "subjects": self._subjects(r_subj, demo, numbers, subject_ids, schemas["subjects"]),
            "consent_events": self._consent(
                r_consent, r_defect, demo, numbers, state, schemas["consent_events"]
            ),
            "purchases": self._purchases(r_purch, demo, subject_ids, state, schemas["purchases"]),
            "erasure_requests": self._erasures(
                r_erase, demo, subject_ids, state, schemas["erasure_requests"]
            ),
        }
        state.subjects += self.n
        return out

    # --- subjects ---------------------------------------------------------------------------

    def _subjects(
        self,
        rng: np.random.Generator,
        demo: dict[str, np.ndarray],
        numbers: np.ndarray,
        subject_ids: pa.Array,
        schema: pa.Schema,
    ) -> pa.RecordBatch:
        """Identifiers, names, e-mails and postcodes on top of the numeric attributes."""
        country = demo["country"]
        names = _NAMES
        migrant = rng.random(self.n) < _MIGRANT_SHARE
        pool = np.where(
            migrant,
            len(_COUNTRIES) + rng.choice(len(names.migrant_p), size=self.n, p=names.migrant_p),
            country,
        )
        first_idx = names.first_offset[pool] + np.floor(
            rng.random(self.n) * names.first_count[pool]
        ).astype(np.int64)
        # Family names follow a Zipf-like skew: the first ones in each list are the commonest.
        last_idx = names.last_offset[pool] + np.floor(
            rng.random(self.n) ** 1.7 * names.last_count[pool]
        ).astype(np.int64)
        first = names.first.take(pa.array(first_idx))
        last = names.last.take(pa.array(last_idx))
        full_name = pc.if_else(
            pa.array(names.family_first[pool]),
            pc.binary_join_element_wise(last, first, " "),
            pc.binary_join_element_wise(first, last, " "),
        )
        email = pc.binary_join_element_wise(
            names.first_email.take(pa.array(first_idx)),
            ".",
            names.last_email.take(pa.array(last_idx)),
            ".",
            pc.cast(pa.array(numbers), pa.string()),
            "@example.",
            _COUNTRY_TLDS.take(pa.array(country)),
            "",
        )
        postcode = _postcodes(rng, country)
        income_cents = np.round(demo["income"]).astype(np.int64) * 100
        return pa.RecordBatch.from_arrays(
            [
                subject_ids,
                email,
                full_name,
                pa.array(demo["birth_day"].astype(np.int32), type=pa.date32()),
                _COUNTRY_ARRAY.take(pa.array(country)),
                postcode,
                _decimal(income_cents, demo["income_null"]),
                _timestamps(demo["created_s"], schema.field("created_at").type),
            ],
            schema=schema,
        )

    # --- consent events ---------------------------------------------------------------------

    def _consent(
        self,
        rng: np.random.Generator,
        defect_rng: np.random.Generator,
        demo: dict[str, np.ndarray],
        numbers: np.ndarray,
        state: _RunState,
        schema: pa.Schema,
    ) -> pa.RecordBatch:
        """Consent decisions per subject and purpose, then the planted defects.

        Per subject and purpose the decisions form a sequence in time: the first is usually a
        grant, each later one reverses the previous with probability ``_FLIP_P`` (a withdrawal
        after a grant, a renewed grant after a withdrawal) or else confirms it. The state after
        each decision is the parity of the reversals so far, which a cumulative sum computes
        for all sequences at once.
        """
        n = self.n
        created = demo["created_s"]
        signup_p = _SIGNUP_P
        extra_mean = max(self.events_per_subject - float(_SIGNUP_P.sum()), 0.0)
        if self.events_per_subject < _SIGNUP_P.sum():
            signup_p = _SIGNUP_P * (self.events_per_subject / float(_SIGNUP_P.sum()))
        signup = rng.random((n, 3)) < signup_p
        extra = rng.poisson(extra_mean * _EXTRA_SHARE, size=(n, 3))
        counts = (signup + extra).ravel()
        total = int(counts.sum())

        group = np.repeat(np.arange(n * 3, dtype=np.int64), counts)
        group_start = np.cumsum(counts) - counts
        pos = np.arange(total, dtype=np.int64) - group_start[group]
        subj = group // 3
        purpose = (group % 3).astype(np.int8)
        span = self.clock.anchor_s - created[subj]  # at least an hour

        # Sign-up decisions come seconds after account creation; later ones any time after.
        at_signup = signup.ravel()[group] & (pos == 0)
        lag = np.minimum(1 + np.floor(rng.exponential(45.0, total)).astype(np.int64), span - 1)
        later = 1 + np.floor(rng.random(total) * (span - 1)).astype(np.int64)
        offset = np.where(at_signup, lag, later)
        # Sort within each (subject, purpose) sequence by time: one sort on a packed key.
        offset = np.sort((group << 32) | offset) & 0xFFFFFFFF

        first = pos == 0
        reversal = np.where(
            first,
            rng.random(total) >= _FIRST_GRANT_P[purpose],
            rng.random(total) < _FLIP_P,
        ).astype(np.int64)
        cum = np.cumsum(reversal)
        starts = group_start[group]
        withdrawn = ((cum - cum[starts] + reversal[starts]) & 1).astype(np.int8)

        # Final order: by subject, then time (purpose breaks ties), as the log would hold it.
        order = np.argsort((subj << 32) | offset, kind="stable")
        subj, purpose, action, offset = subj[order], purpose[order], withdrawn[order], offset[order]
        at_signup = at_signup[order]
        recorded = created[subj] + offset

        policy = (recorded >= self.clock.anchor_s - _POLICY_FROM_DAYS[0] * _DAY).astype(np.int8)
        policy += recorded >= self.clock.anchor_s - _POLICY_FROM_DAYS[1] * _DAY
        stale = (policy > 0) & (rng.random(total) < _POLICY_STALE_P)
        policy = policy - stale
        channel = np.where(
            at_signup,
            rng.choice(4, size=total, p=_SIGNUP_CHANNEL_P),
            rng.choice(4, size=total, p=_CHANNEL_P),
        ).astype(np.int8)

        event_no = state.consent_events + 1 + np.arange(total, dtype=np.int64)
        subject_no = numbers[subj]
        events = _ConsentArrays(
            event_no=event_no,
            subject_no=subject_no,
            purpose=purpose,
            action=action,
            recorded=recorded,
            policy=policy.astype(np.int8),
            channel=channel,
            subject_null=np.zeros(total, dtype=bool),
            recorded_null=np.zeros(total, dtype=bool),
            subject_suffix_x=np.zeros(total, dtype=bool),
            copies=np.ones(total, dtype=np.int64),
        )
        self._plant_defects(defect_rng, events, state)
        state.consent_events += total
        batch = events.to_batch(schema)
        state.consent_rows += batch.num_rows
        return batch

    def _plant_defects(
        self, rng: np.random.Generator, ev: _ConsentArrays, state: _RunState
    ) -> None:
        """Corrupt a deterministic share of this chunk's events, one kind after another.

        The budget follows the cumulative event count (``floor(events * defect_rate)``), so
        it does not depend on chunking much; the last chunk tops it up to one defect of each
        kind when there are enough subjects, so small demo runs always show every kind.
        Kinds cycle with the global defect number, so any six consecutive defects cover all.
        """
        if self.defect_rate <= 0:
            return
        total = len(ev.event_no)
        before = state.consent_events
        budget = math.floor((before + total) * self.defect_rate) - math.floor(
            before * self.defect_rate
        )
        budget += state.defects_owed
        if self.last and self.total_subjects >= _MIN_DEFECTS_FROM:
            budget = max(budget, len(_DEFECT_KINDS) - state.defects)
        k = min(budget, total)
        state.defects_owed = budget - k
        if k == 0:
            return
        rows = np.sort(rng.choice(total, size=k, replace=False))
        kinds = (state.defects + np.arange(k)) % len(_DEFECT_KINDS)
        state.defects += k

        def pick(kind: str) -> np.ndarray:
            return rows[kinds == _DEFECT_KINDS.index(kind)]

        bad = pick("bad_purpose")
        ev.purpose[bad] = len(PURPOSES) + rng.integers(0, len(_BAD_PURPOSES), len(bad))
        bad = pick("bad_action")
        ev.action[bad] = len(ACTIONS) + rng.integers(0, len(_BAD_ACTIONS), len(bad))
        ev.subject_null[pick("null_subject_id")] = True
        ev.recorded_null[pick("null_recorded_at")] = True
        bad = pick("unknown_subject_id")
        # Well-formed ids beyond any real subject, or malformed ones with a trailing 'x'.
        ev.subject_no[bad] = 900_000_000 + rng.integers(0, 100_000_000, len(bad))
        ev.subject_suffix_x[bad] = rng.random(len(bad)) < 0.5
        ev.copies[pick("duplicate_row")] = 2

    # --- purchases --------------------------------------------------------------------------

    def _purchases(
        self,
        rng: np.random.Generator,
        demo: dict[str, np.ndarray],
        subject_ids: pa.Array,
        state: _RunState,
        schema: pa.Schema,
    ) -> pa.RecordBatch:
        """Purchases as a non-homogeneous Poisson process per subject.

        A subject's count over their exposure (from the day after sign-up to the anchor) is
        Poisson with mean ``purchases_per_subject * propensity * scale * exposure``; the
        purchase days are drawn by inverting the shared intensity's CDF, so the count in any
        window is again Poisson with a rate proportional to the propensity.
        """
        cal = self.calibration
        cdf = cal.cdf
        first_day = _first_purchase_day(demo["created_s"], cal.window_start_s)
        lo = cdf[first_day]
        mean = self.purchases_per_subject * cal.scale * demo["propensity"] * (1.0 - lo)
        counts = rng.poisson(mean)
        total = int(counts.sum())
        subj = np.repeat(np.arange(self.n, dtype=np.int64), counts)

        u = lo[subj] + rng.random(total) * (1.0 - lo[subj])
        day = np.searchsorted(cdf, u, side="right") - 1
        day = np.clip(day, first_day[subj], _PURCHASE_DAYS - 1)
        # Time of day follows a daily profile in calendar hours, whatever the anchor's time.
        hour = rng.choice(24, size=total, p=_HOUR_P / _HOUR_P.sum())
        clock_s = hour * 3_600 + rng.integers(0, 3_600, total)
        within = (clock_s - cal.window_start_s % _DAY) % _DAY
        offset = np.sort((subj << 32) | (day * _DAY + within))  # by subject, then time
        subj = offset >> 32
        purchased = cal.window_start_s + (offset & 0xFFFFFFFF)

        category = rng.choice(len(CATEGORIES), size=total, p=_CATEGORY_P)
        income_effect = 0.15 * np.log(demo["income"][subj] / _INCOME_MEDIAN)
        amount = np.exp(
            np.log(_CATEGORY_MEDIAN[category])
            + income_effect
            + _CATEGORY_SIGMA[category] * rng.standard_normal(total)
        )
        cents = np.clip(np.round(amount * 100), 50, 99_999_999).astype(np.int64)

        numbers = state.purchases + 1 + np.arange(total, dtype=np.int64)
        state.purchases += total
        return pa.RecordBatch.from_arrays(
            [
                _ids("P", numbers, 11),
                subject_ids.take(pa.array(subj)),
                _timestamps(purchased, schema.field("purchased_at").type),
                _decimal(cents),
                _CATEGORY_ARRAY.take(pa.array(category)),
            ],
            schema=schema,
        )

    # --- erasure requests -------------------------------------------------------------------

    def _erasures(
        self,
        rng: np.random.Generator,
        demo: dict[str, np.ndarray],
        subject_ids: pa.Array,
        state: _RunState,
        schema: pa.Schema,
    ) -> pa.RecordBatch:
        """About 0.5% of subjects ask for erasure within the last year (after sign-up).

        If no chunk drew one by the last chunk of a run with enough subjects, the last chunk's
        most likely candidate is chosen, so erasure is always exercised.
        """
        draw = rng.random(self.n)
        chosen = draw < _ERASURE_P
        if self.last and self.total_subjects >= _MIN_ERASURES_FROM and state.erasures == 0:
            chosen[np.argmin(draw)] = True
        idx = np.flatnonzero(chosen)
        created = demo["created_s"][idx]
        earliest = np.maximum(created + 1, self.clock.anchor_s - _ERASURE_DAYS * _DAY)
        received = earliest + np.floor(
            rng.random(len(idx)) * (self.clock.anchor_s - earliest)
        ).astype(np.int64)
        numbers = state.erasures + 1 + np.arange(len(idx), dtype=np.int64)
        state.erasures += len(idx)
        return pa.RecordBatch.from_arrays(
            [
                _ids("R", numbers, 8),
                subject_ids.take(pa.array(idx)),
                _timestamps(received, schema.field("received_at").type),
            ],
            schema=schema,
        )


@dataclass
class _ConsentArrays:
    """Consent events of one chunk as columns of codes, before they become strings.

    Defects are planted on these codes (extra vocabulary entries, null masks, a copy count),
    which keeps planting vectorized and leaves the clean values untouched elsewhere.
    """

    event_no: np.ndarray
    subject_no: np.ndarray
    purpose: np.ndarray
    action: np.ndarray
    recorded: np.ndarray
    policy: np.ndarray
    channel: np.ndarray
    subject_null: np.ndarray
    recorded_null: np.ndarray
    subject_suffix_x: np.ndarray
    copies: np.ndarray

    def to_batch(self, schema: pa.Schema) -> pa.RecordBatch:
        """Strings and timestamps in file order; a duplicated row follows its original."""
        take = np.repeat(np.arange(len(self.event_no)), self.copies)
        subject = _ids("S", self.subject_no[take], 9)
        suffix = self.subject_suffix_x[take]
        if suffix.any():
            subject = pc.if_else(
                pa.array(suffix), pc.binary_join_element_wise(subject, "x", ""), subject
            )
        subject_null = self.subject_null[take]
        if subject_null.any():
            subject = pc.if_else(pa.array(subject_null), pa.scalar(None, pa.string()), subject)
        return pa.RecordBatch.from_arrays(
            [
                _ids("E", self.event_no[take], 10),
                subject,
                _PURPOSE_VOCAB.take(pa.array(self.purpose[take])),
                _ACTION_VOCAB.take(pa.array(self.action[take])),
                _timestamps(
                    self.recorded[take],
                    schema.field("recorded_at").type,
                    null=self.recorded_null[take],
                ),
                _POLICY_ARRAY.take(pa.array(self.policy[take])),
                _CHANNEL_ARRAY.take(pa.array(self.channel[take])),
            ],
            schema=schema,
        )


# ============================================================================================
# Column builders
# ============================================================================================

_COUNTRY_ARRAY = pa.array(_COUNTRY_CODES)
_COUNTRY_TLDS = pa.array([c.lower() for c in _COUNTRY_CODES])
_PURPOSE_VOCAB = pa.array(PURPOSES + _BAD_PURPOSES)
_ACTION_VOCAB = pa.array(ACTIONS + _BAD_ACTIONS)
_POLICY_ARRAY = pa.array(POLICY_VERSIONS)
_CHANNEL_ARRAY = pa.array(CHANNELS)
_CATEGORY_ARRAY = pa.array(CATEGORIES)


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """``prefix`` + zero-padded number, e.g. ``S000000001``; vectorized in Arrow."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers, pa.int64()), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _timestamps(
    seconds: np.ndarray, type_: pa.DataType, null: np.ndarray | None = None
) -> pa.Array:
    """Whole UTC seconds as the schema's timestamp type (``s`` for CSV, ``us`` for Parquet)."""
    unit = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[type_.unit]
    values = np.asarray(seconds, dtype=np.int64) * unit
    if null is not None and null.any():
        return pa.array(values, type=type_, mask=null)
    return pa.array(values, type=type_)


_MONEY = pa.decimal128(12, 2)


def _decimal(cents: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """Exact ``decimal128(12, 2)`` from integer cents, built from buffers (no float rounding).

    A decimal128 value is a 16-byte little-endian two's complement integer; the amounts are
    non-negative and far below 2**63, so the high word is zero.
    """
    cents = np.asarray(cents, dtype=np.int64)
    words = np.zeros((len(cents), 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = np.where(cents < 0, -1, 0)
    validity = None
    null_count = 0
    if null is not None and null.any():
        validity = pa.py_buffer(np.packbits(~null, bitorder="little"))
        null_count = int(null.sum())
    return pa.Array.from_buffers(
        _MONEY, len(cents), [validity, pa.py_buffer(words)], null_count=null_count
    )


_POSTCODE_WIDTH = 8
_EIRCODE_LETTERS = "ACDEFHKNPRTVWXY"
_EIRCODE_CHARS = np.array([ord(c) for c in _EIRCODE_LETTERS + "0123456789"], dtype=np.uint32)


def _postcode_patterns() -> np.ndarray:
    """Per country, the pattern as code points; negative codes are character classes."""
    classes = {"#": -1, "%": -2, "@": -3, "*": -4, "^": -5}
    out = np.zeros((len(_COUNTRIES), _POSTCODE_WIDTH), dtype=np.int64)
    for i, (*_, pattern) in enumerate(_COUNTRIES):
        for j, ch in enumerate(pattern):
            out[i, j] = classes.get(ch, ord(ch))
    return out


_POSTCODE_PATTERNS = _postcode_patterns()


def _postcodes(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """Postcodes shaped like each country's (``10115``, ``1234 AB``, ``00-950``, ``L-1234``).

    All characters of all subjects are drawn at once as a code-point matrix, which numpy
    then views as fixed-width unicode strings (trailing NULs are dropped).
    """
    pattern = _POSTCODE_PATTERNS[country]
    r = rng.random(pattern.shape)
    codes = np.select(
        [pattern == -1, pattern == -2, pattern == -3, pattern == -4, pattern == -5],
        [
            48 + np.floor(r * 10),
            49 + np.floor(r * 9),
            65 + np.floor(r * 26),
            _EIRCODE_CHARS[np.floor(r * len(_EIRCODE_CHARS)).astype(np.int64)],
            _EIRCODE_CHARS[np.floor(r * len(_EIRCODE_LETTERS)).astype(np.int64)],
        ],
        default=pattern,
    ).astype(np.uint32)
    strings = np.ascontiguousarray(codes).view(f"<U{_POSTCODE_WIDTH}").ravel()
    return pa.array(strings, type=pa.string())


@dataclass(frozen=True)
class _NameTables:
    """All name pools flattened into Arrow arrays, with per-pool offsets for vectorized draws."""

    first: pa.Array
    last: pa.Array
    first_email: pa.Array
    last_email: pa.Array
    first_offset: np.ndarray
    first_count: np.ndarray
    last_offset: np.ndarray
    last_count: np.ndarray
    family_first: np.ndarray
    migrant_p: np.ndarray


def _email_part(name: str) -> str:
    """The e-mail form of a name: lower case, no spaces or apostrophes (letters kept as is)."""
    return name.lower().replace(" ", "").replace("'", "").replace("\u2019", "")


def _name_tables() -> _NameTables:
    """Flatten the country pools (in country order) and then the migrant pools."""
    pools: list[_NamePool] = [_COUNTRY_NAMES[code] for code in _COUNTRY_CODES]
    pools += [pool for _, pool in _MIGRANT_NAMES.values()]
    firsts = [list(p[0]) for p in pools]
    lasts = [list(p[1]) for p in pools]
    first_count = np.array([len(f) for f in firsts], dtype=np.int64)
    last_count = np.array([len(f) for f in lasts], dtype=np.int64)
    flat_first = [name for f in firsts for name in f]
    flat_last = [name for f in lasts for name in f]
    migrant_p = np.array([w for w, _ in _MIGRANT_NAMES.values()])
    return _NameTables(
        first=pa.array(flat_first),
        last=pa.array(flat_last),
        first_email=pa.array([_email_part(x) for x in flat_first]),
        last_email=pa.array([_email_part(x) for x in flat_last]),
        first_offset=np.cumsum(first_count) - first_count,
        first_count=first_count,
        last_offset=np.cumsum(last_count) - last_count,
        last_count=last_count,
        family_first=np.array([p[2] for p in pools]),
        migrant_p=migrant_p / migrant_p.sum(),
    )


_NAMES = _name_tables()


# ============================================================================================
# Schemas and writers
# ============================================================================================


def _schemas(fmt: str) -> dict[str, pa.Schema]:
    """The raw data contract as Arrow schemas, columns in contract order.

    CSV gets second-resolution timestamps so they print as ``yyyy-mm-dd hh:mm:ss``;
    Parquet gets ``timestamp[us]`` without a time zone (values are UTC).
    """
    ts = pa.timestamp("s") if fmt == "csv" else pa.timestamp("us")
    return {
        "subjects": pa.schema(
            [
                pa.field("subject_id", pa.string(), nullable=False),
                pa.field("email", pa.string(), nullable=False),
                pa.field("full_name", pa.string(), nullable=False),
                pa.field("birth_date", pa.date32(), nullable=False),
                pa.field("country", pa.string(), nullable=False),
                pa.field("postcode", pa.string(), nullable=False),
                pa.field("annual_income_eur", _MONEY),
                pa.field("created_at", ts, nullable=False),
            ]
        ),
        "consent_events": pa.schema(
            [
                pa.field("event_id", pa.string()),
                pa.field("subject_id", pa.string()),
                pa.field("purpose", pa.string()),
                pa.field("action", pa.string()),
                pa.field("recorded_at", ts),
                pa.field("policy_version", pa.string()),
                pa.field("channel", pa.string()),
            ]
        ),
        "purchases": pa.schema(
            [
                pa.field("purchase_id", pa.string(), nullable=False),
                pa.field("subject_id", pa.string(), nullable=False),
                pa.field("purchased_at", ts, nullable=False),
                pa.field("amount_eur", _MONEY, nullable=False),
                pa.field("category", pa.string(), nullable=False),
            ]
        ),
        "erasure_requests": pa.schema(
            [
                pa.field("request_id", pa.string(), nullable=False),
                pa.field("subject_id", pa.string(), nullable=False),
                pa.field("received_at", ts, nullable=False),
            ]
        ),
    }


class _Writer:
    """One incremental writer per file: a batch per chunk, header/footer written once."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path = path
        self._impl: Any
        if fmt == "csv":
            self._impl = pacsv.CSVWriter(
                str(path),
                schema,
                write_options=pacsv.WriteOptions(include_header=True, batch_size=65_536),
            )
        else:
            self._impl = pq.ParquetWriter(
                str(path), schema, compression="zstd", write_statistics=True
            )

    def write(self, batch: pa.RecordBatch) -> None:
        """Append one chunk's rows (empty batches are skipped: they add nothing)."""
        if batch.num_rows:
            self._impl.write_batch(batch)

    def close(self) -> None:
        """Finish the file (Parquet writes its footer here)."""
        self._impl.close()

    def abort(self) -> None:
        """Close without caring whether the file is complete: it is deleted next."""
        with contextlib.suppress(Exception):
            self._impl.close()
