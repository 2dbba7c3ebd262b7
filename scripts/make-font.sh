#!/usr/bin/env bash
# Remakes assets/fonts/NotoSansSC-Regular-subset.otf, the font printed cards
# and forms embed. Not part of the build: the result is committed.
#
# Source: Noto Sans CJK SC Regular from Debian's fonts-noto-cjk (SIL OFL 1.1,
# see assets/fonts/OFL.txt). Kept: ASCII and Latin-1, general punctuation,
# letterlike symbols (℃), arrows, enclosed numbers, geometric shapes (□■),
# ballot boxes and check marks, CJK punctuation, CJK Unified Ideographs with
# Extension A (rare characters in names), and full-width forms. Dropped:
# hinting, OpenType layout features and vertical metrics (cards and forms are
# set horizontally). krilla subsets it again to the glyphs each PDF uses.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v pyftsubset >/dev/null || python3 -m pip install --user fonttools
src=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
[ -f "$src" ] || { echo "install fonts-noto-cjk first" >&2; exit 1; }
pyftsubset "$src" --font-number=2 \
  --unicodes="U+0020-007E,U+00A0-00FF,U+2000-206F,U+2100-214F,U+2190-21FF,U+2460-24FF,U+25A0-25FF,U+2610-2612,U+2713-2714,U+3000-303F,U+3400-4DBF,U+4E00-9FFF,U+FF00-FFEF" \
  --no-hinting --layout-features='' --drop-tables+=vhea,vmtx,VORG,BASE \
  --output-file=assets/fonts/NotoSansSC-Regular-subset.otf
