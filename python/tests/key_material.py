"""Known-answer vectors for HMAC-SHA256 and the byte patterns a leaked key would leave on disk.

Shared by the DuckDB and the Spark pseudonymization tests, so both engines are held to the
same vectors and the same scan.
"""

from __future__ import annotations

import base64
from pathlib import Path

from gdpr_pipeline import keys

# RFC 4231, section 4: (key, data, HMAC-SHA256). Case 5 is truncated to 128 bits.
RFC4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
    (
        b"\xaa" * 20,
        b"\xdd" * 50,
        "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe",
    ),
    (
        bytes(range(1, 26)),
        b"\xcd" * 50,
        "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b",
    ),
    (b"\x0c" * 20, b"Test With Truncation", "a3b6167473100ee06e0c796c2955552b"),
    (
        b"\xaa" * 131,
        b"Test Using Larger Than Block-Size Key - Hash Key First",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ),
    (
        b"\xaa" * 131,
        b"This is a test using a larger than block-size key and a larger than block-size data. "
        b"The key needs to be hashed before being used by the HMAC algorithm.",
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
    ),
]


def forbidden_patterns(secret: bytes) -> dict[str, bytes]:
    inner, outer = keys.Key(secret=secret, source="test").hmac_pads()
    patterns = {"key": secret, "key (base64)": base64.b64encode(secret)}
    for label, value in (("key", secret), ("inner pad", inner), ("outer pad", outer)):
        patterns[f"{label} (hex)"] = value.hex().encode()
        patterns[f"{label} (HEX)"] = value.hex().upper().encode()
    patterns["inner pad"], patterns["outer pad"] = inner, outer
    # Any 16-byte window of the pads is enough to flag a leak of a fragment.
    return patterns


def scan_for_leaks(directory: Path, patterns: dict[str, bytes]) -> list[str]:
    leaks = []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        data = path.read_bytes()
        leaks += [f"{label} in {path}" for label, needle in patterns.items() if needle in data]
    return leaks
