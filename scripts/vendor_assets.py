"""Refresh the vendored front-end files (CSS, htmx, axe-core) from the npm registry.

The pinned packages are the one table PINS below. For each, the script asks the
registry for that version's metadata, downloads its tarball, checks the tarball
against the pinned sha512 integrity (the registry's `dist.integrity`), and takes
out only the files named in the pin plus the package's licence. Nothing is
written unless every package verified. Each vendor root then holds exactly
<package>/<file> for its pins and a VENDORED.md that lists them; files there that
no pin names any more are removed. Running it twice gives identical files.

    python3 scripts/vendor_assets.py          # refresh (what `make vendor` runs)
    python3 scripts/vendor_assets.py --check  # exit 1 if the files on disk differ

To move a pin: change its version, run the script, compare the integrity it
reports as the registry's with the one `npm view <package>@<version>
dist.integrity` shows, put it in the pin, run again and commit.

Only the Python standard library; Node.js is not needed.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import sys
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REGISTRY = "https://registry.npmjs.org"
WEB_VENDOR = Path("web/static/vendor")
TEST_VENDOR = Path("tests/support/vendor")
API_VENDOR = Path("api/static/vendor")
MANIFEST = "VENDORED.md"
# Far above any pinned tarball (the largest, axe-core, is about 1 MB packed).
MAX_TARBALL_BYTES = 20 * 1024 * 1024
TIMEOUT_SECONDS = 60
ATTEMPTS = 3


@dataclass(frozen=True)
class Pin:
    """One npm package at one version and the files taken from its tarball."""

    package: str
    version: str
    integrity: str  # the registry's dist.integrity: "sha512-" + base64 digest
    licence: str  # SPDX identifier, as checked by hand against the licence file
    files: tuple[str, ...]  # paths inside the tarball's package/ folder, licence too
    root: Path  # the vendor root, relative to the repository

    @property
    def folder(self) -> str:
        """The package's folder under its root: `@scope/name` becomes `scope-name`."""
        return self.package.removeprefix("@").replace("/", "-")


PINS: tuple[Pin, ...] = (
    Pin(
        package="@utrecht/component-library-css",
        version="9.0.4",
        integrity="sha512-gVA7D6GfP9/+fzehkYLSBR+0UPUTA97PZmgvTYQE88lPQhHGMlUk8FjmCpLKRsRC9hAYd32JuF/KzG6fmBfjJA==",
        licence="EUPL-1.2",
        files=("dist/index.css", "LICENSE.md"),
        root=WEB_VENDOR,
    ),
    Pin(
        package="htmx.org",
        version="2.0.11",
        integrity="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA==",
        licence="0BSD",
        files=("dist/htmx.min.js", "LICENSE"),
        root=WEB_VENDOR,
    ),
    Pin(
        package="axe-core",
        version="4.14.1",
        integrity="sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==",
        licence="MPL-2.0",
        files=("axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"),
        root=TEST_VENDOR,
    ),
    # The API's interactive docs (/docs), served from the package: no CDN.
    Pin(
        package="swagger-ui-dist",
        version="5.36.0",
        integrity="sha512-Lt6/Kb0gXmLdiabLhvso4VdJP9V7qJWB0zh0gzeXUV3+CMOTzMmvpJRSXN7EAjfwixwmoi9ezDbLHiexC7lA9A==",
        licence="Apache-2.0",
        files=("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"),
        root=API_VENDOR,
    ),
)


class VendorError(Exception):
    """A download, an integrity check or a tarball did not give what a pin says."""


def fetch(url: str) -> bytes:
    """GET an https URL on the registry, retrying transient failures a few times."""
    if not url.startswith(REGISTRY + "/"):
        raise VendorError(f"refusing a URL outside {REGISTRY}: {url}")
    # The scheme and host were checked above: only the registry is ever fetched.
    request = urllib.request.Request(url, headers={"User-Agent": "dossier-vendor"})  # noqa: S310
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
                body: bytes = response.read(MAX_TARBALL_BYTES + 1)
        except urllib.error.HTTPError as error:
            if error.code < 500 or attempt == ATTEMPTS:
                raise VendorError(f"{url}: HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError) as error:
            if attempt == ATTEMPTS:
                raise VendorError(f"{url}: {error}") from error
        else:
            if len(body) > MAX_TARBALL_BYTES:
                raise VendorError(f"{url}: larger than {MAX_TARBALL_BYTES} bytes")
            return body
        time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def sri_sha512(data: bytes) -> str:
    """The Subresource Integrity string npm uses: sha512-<base64 digest>."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def tarball_url(pin: Pin) -> str:
    """The tarball's URL from the version's metadata, after its integrity matches."""
    name = urllib.parse.quote(pin.package, safe="@/")
    metadata = json.loads(fetch(f"{REGISTRY}/{name}/{pin.version}"))
    dist = metadata.get("dist", {})
    if dist.get("integrity") != pin.integrity:
        raise VendorError(
            f"{pin.package}@{pin.version}: the registry says integrity "
            f"{dist.get('integrity')!r}, the pin says {pin.integrity!r}"
        )
    url = dist.get("tarball")
    if not isinstance(url, str):
        raise VendorError(f"{pin.package}@{pin.version}: no dist.tarball")
    return url


def unpack(pin: Pin, tarball: bytes) -> dict[Path, bytes]:
    """The pin's files from its verified tarball, keyed by their path in the repo."""
    actual = sri_sha512(tarball)
    if actual != pin.integrity:
        raise VendorError(
            f"{pin.package}@{pin.version}: tarball integrity {actual}, "
            f"pinned {pin.integrity}"
        )
    files: dict[Path, bytes] = {}
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        for name in pin.files:
            try:
                member = archive.getmember(f"package/{name}")
            except KeyError:
                raise VendorError(f"{pin.package}: no {name} in the tarball") from None
            extracted = archive.extractfile(member) if member.isfile() else None
            if extracted is None:
                raise VendorError(f"{pin.package}: {name} is not a regular file")
            files[pin.root / pin.folder / Path(name).name] = extracted.read()
    return files


def manifest(
    root: Path, pins: list[tuple[Pin, str]], files: dict[Path, bytes]
) -> bytes:
    """VENDORED.md for one vendor root: the packages, then every file's sha256."""
    lines = [
        "# Vendored files",
        "",
        "Written by `scripts/vendor_assets.py` (`make vendor`) from the npm registry;",
        "do not edit by hand: change the pins in that script and run it again.",
        "Each package's folder holds its licence file next to the files taken.",
        "",
        "| package | version | licence | source | integrity |",
        "| --- | --- | --- | --- | --- |",
    ]
    for pin, source in pins:
        lines.append(
            f"| {pin.package} | {pin.version} | {pin.licence} | {source} "
            f"| `{pin.integrity}` |"
        )
    lines += ["", "| file | bytes | sha256 |", "| --- | --- | --- |"]
    for path in sorted(files):
        data = files[path]
        digest = hashlib.sha256(data).hexdigest()
        lines.append(
            f"| {path.relative_to(root).as_posix()} | {len(data)} | {digest} |"
        )
    return ("\n".join(lines) + "\n").encode()


def wanted(pins: tuple[Pin, ...]) -> dict[Path, bytes]:
    """Every file the vendor roots should hold, all downloaded and verified."""
    files: dict[Path, bytes] = {}
    sources: list[tuple[Pin, str]] = []
    for pin in pins:
        print(f"{pin.package}@{pin.version}", file=sys.stderr)
        url = tarball_url(pin)
        files |= unpack(pin, fetch(url))
        sources.append((pin, url))
    for root in sorted({pin.root for pin in pins}):
        own = [(pin, url) for pin, url in sources if pin.root == root]
        in_root = {p: data for p, data in files.items() if p.is_relative_to(root)}
        files[root / MANIFEST] = manifest(root, own, in_root)
    return files


def differences(repo: Path, files: dict[Path, bytes], roots: set[Path]) -> list[str]:
    """What writing `files` would change under the vendor roots."""
    changes = [
        f"would write {path}"
        for path, data in sorted(files.items())
        if not (repo / path).is_file() or (repo / path).read_bytes() != data
    ]
    for root in sorted(roots):
        for path in sorted((repo / root).rglob("*")):
            if path.is_file() and path.relative_to(repo) not in files:
                changes.append(f"would remove {path.relative_to(repo)}")
    return changes


def write(repo: Path, files: dict[Path, bytes], roots: set[Path]) -> None:
    """Write the files and remove whatever else is under the vendor roots."""
    for path, data in files.items():
        target = repo / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
    for root in roots:
        for path in sorted((repo / root).rglob("*"), reverse=True):
            if path.is_file() and path.relative_to(repo) not in files:
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()


def main(argv: list[str] | None = None) -> int:
    """Refresh the vendored files, or with --check report whether they differ."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if the files on disk differ from the pins",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        default=Path(__file__).resolve().parent.parent,
        help="the repository's root (default: the folder above scripts/)",
    )
    args = parser.parse_args(argv)
    roots = {pin.root for pin in PINS}
    try:
        files = wanted(PINS)
    except VendorError as error:
        print(f"vendor: {error}", file=sys.stderr)
        return 2
    if args.check:
        changes = differences(args.repo, files, roots)
        for change in changes:
            print(change)
        return 1 if changes else 0
    write(args.repo, files, roots)
    total = sum(len(data) for data in files.values())
    print(f"vendor: {len(files)} files, {total} bytes, under {sorted(map(str, roots))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
