#!/usr/bin/env python3
"""Build the verbatim demo corpus (Dolma-style JSONL) from unpacked packages.

Called by corpora/make-demo.sh, which downloads and unpacks the source
packages; this script only reads files and writes one JSONL file.  It uses
the Python standard library only, and its output depends on nothing but its
input files (documents are sorted by id, JSON is written with sorted keys).

Sources:
  * python3.11-doc (Debian): the Python 3.11 HTML documentation, rendered
    to plain text, one document per page.  PSF License Agreement.
  * r-cran-janeaustenr (Debian): Jane Austen's six completed novels (Project
    Gutenberg transcriptions, public domain), one document per chapter.

Usage: make_demo.py PYDOC_HTML_DIR JANEAUSTENR_DIR OUT.jsonl
"""

import gzip
import html.parser
import json
import lzma
import bz2
import os
import re
import struct
import sys
import zlib

PYDOC_VERSION = "3.11"
PYDOC_URL = "https://docs.python.org/%s/" % PYDOC_VERSION
PYDOC_LICENSE = "PSF-2.0"
AUSTEN_LICENSE = "public-domain"

# Python documentation: which parts of the HTML tree become documents.
# Everything under these folders, plus the listed top-level pages.  Left out:
# index/search/navigation pages (genindex*, py-modindex, search, contents,
# index), the C API reference, the legacy distutils/install docs and the
# "What's New" history (large, and mostly changelog lists).
PYDOC_DIRS = ("library", "tutorial", "reference", "howto", "faq", "using",
              "extending", "installing", "distributing")
PYDOC_PAGES = ("about.html", "bugs.html", "copyright.html", "glossary.html",
               "license.html", "whatsnew/3.11.html")

# ---------------------------------------------------------------------------
# Sphinx HTML -> plain text


BLOCK_TAGS = {
    "p", "div", "section", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "li",
    "dt", "dd", "dl", "ul", "ol", "table", "thead", "tbody", "tr",
    "blockquote", "figure", "figcaption", "caption", "aside", "br", "hr",
    "details", "summary",
}
SKIP_TAGS = {"script", "style", "head", "title", "nav"}
VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "wbr", "col",
             "area", "base", "embed", "source", "track", "param"}


class SphinxText(html.parser.HTMLParser):
    """Extracts the text of the main content div of a Sphinx page.

    Paragraph text has its whitespace collapsed to single spaces (so that a
    sentence reads as it would when quoted), <pre> blocks keep their lines,
    list items get a "- " (or "1. ") prefix, and table cells are joined with
    " | ".  Permalink anchors ("¶") are dropped.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []          # open tags inside the main div
        self.in_main = False
        self.skip = 0            # depth inside skipped elements
        self.pre = 0             # depth inside <pre>
        self.blocks = []         # finished text blocks
        self.cur = []            # pieces of the current block
        self.lists = []          # stack of [kind, counter]
        self.title = None
        self.h1 = None
        self.in_h1 = False
        self.in_cell = False
        self.row = None
        self.prefix = ""         # list-item marker waiting for its text

    # -- helpers
    def flush(self):
        if self.pre:
            return
        text = "".join(self.cur)
        self.cur = []
        if self.row is not None:
            # inside a table row: collect cell text, emitted at </tr>
            text = re.sub(r"\s+", " ", text).strip()
            if text:
                self.row.append(text)
            return
        text = re.sub(r"[ \t\r\n\f\v]+", " ", text).strip()
        if text:
            self.blocks.append(self.prefix + text)
            self.prefix = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if not self.in_main:
            if tag == "div" and a.get("role") == "main":
                self.in_main = True
                self.stack = ["div"]
            return
        if tag not in VOID_TAGS:
            self.stack.append(tag)
        if self.skip:
            if tag not in VOID_TAGS:
                self.skip += 1
            return
        if tag in SKIP_TAGS or (tag == "a" and "headerlink" in cls) \
                or "copybutton" in cls:
            if tag not in VOID_TAGS:
                self.skip = 1
            return
        if tag == "pre":
            self.flush()
            self.pre += 1
            self.cur = []
            return
        if self.pre:
            return
        if tag in BLOCK_TAGS:
            self.flush()
        if tag in ("ul", "ol"):
            self.lists.append([tag, 0])
        elif tag == "li":
            prefix = "- "
            if self.lists and self.lists[-1][0] == "ol":
                self.lists[-1][1] += 1
                prefix = "%d. " % self.lists[-1][1]
            self.prefix = prefix
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th"):
            self.flush()
        elif tag == "h1" and self.h1 is None:
            self.in_h1 = True
            self.h1_parts = []

    def handle_endtag(self, tag):
        if not self.in_main:
            return
        # pop to the matching tag (tolerates unclosed <p> etc.)
        if tag in VOID_TAGS:
            if tag == "br" and not self.pre and not self.skip:
                self.flush()
            return
        if tag not in self.stack:
            return
        while self.stack:
            t = self.stack.pop()
            if self.skip:
                self.skip -= 1
                if t == tag:
                    return
                continue
            self._close(t)
            if t == tag:
                break
        if not self.stack:
            self.flush()
            self.in_main = False

    def _close(self, tag):
        if tag == "pre":
            self.pre -= 1
            text = "".join(self.cur).rstrip()
            self.cur = []
            # drop leading blank lines, keep indentation
            text = text.lstrip("\n")
            if text.strip():
                self.blocks.append(text)
                self.prefix = ""
            return
        if self.pre:
            return
        if tag in ("td", "th"):
            self.flush()
        elif tag == "tr":
            self.flush()
            row, self.row = self.row, None
            if row:
                self.blocks.append(" | ".join(row))
        elif tag in ("ul", "ol"):
            self.flush()
            self.prefix = ""
            if self.lists:
                self.lists.pop()
        elif tag in BLOCK_TAGS:
            self.flush()
        if tag == "h1" and self.in_h1:
            self.in_h1 = False
            self.h1 = re.sub(r"\s+", " ", "".join(self.h1_parts)).strip()

    def handle_data(self, data):
        if not self.in_main or self.skip:
            return
        self.cur.append(data)
        if self.in_h1:
            self.h1_parts.append(data)


def html_to_text(path):
    p = SphinxText()
    with open(path, encoding="utf-8") as f:
        p.feed(f.read())
    p.close()
    p.flush()
    text = "\n\n".join(p.blocks)
    text = text.replace("\u00b6", "")  # any stray pilcrow
    return p.h1, text.strip() + "\n"


def python_docs(html_dir):
    pages = []
    for d in PYDOC_DIRS:
        root = os.path.join(html_dir, d)
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for fn in sorted(filenames):
                if fn.endswith(".html"):
                    pages.append(os.path.relpath(os.path.join(dirpath, fn),
                                                 html_dir))
    pages.extend(PYDOC_PAGES)
    docs = []
    for rel in sorted(set(pages)):
        title, text = html_to_text(os.path.join(html_dir, rel))
        if len(text) < 200:      # stub pages (e.g. empty section indexes)
            continue
        stem = rel[:-len(".html")]
        docs.append({
            "id": "python-docs/" + stem,
            "source": "python-docs",
            "title": title or stem,
            "url": PYDOC_URL + rel,
            "license": PYDOC_LICENSE,
            "text": text,
        })
    return docs


# ---------------------------------------------------------------------------
# R lazy-load database (janeaustenr's data/Rdata.rdb) -> Python lists


class RUnserializer:
    """Just enough of R's XDR serialization format for character vectors."""

    def __init__(self, b):
        self.b, self.p, self.refs = b, 0, []

    def i(self):
        v = struct.unpack(">i", self.b[self.p:self.p + 4])[0]
        self.p += 4
        return v

    def raw(self, n):
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def run(self):
        if self.raw(2) != b"X\n":
            raise ValueError("not an XDR R serialization")
        version = self.i()
        self.i()
        self.i()
        if version == 3:
            self.raw(self.i())          # native encoding name
        return self.item()

    def item(self):
        flags = self.i()
        t = flags & 0xFF
        has_attr, has_tag = flags & (1 << 9), flags & (1 << 10)
        if t in (254, 242):             # NILVALUE, EMPTYENV
            return None
        if t == 255:                    # REFSXP
            idx = flags >> 8 or self.i()
            return self.refs[idx - 1]
        if t == 1:                      # SYMSXP
            s = self.item()
            self.refs.append(s)
            return s
        if t == 9:                      # CHARSXP
            n = self.i()
            if n == -1:
                return None             # NA_character_
            enc = "latin-1" if flags & (1 << 2) else "utf-8"
            return self.raw(n).decode(enc)
        if t == 2:                      # LISTSXP (pairlist, e.g. attributes)
            if has_attr:
                self.item()
            tag = self.item() if has_tag else None
            car = self.item()
            cdr = self.item()
            return [(tag, car)] + (cdr if isinstance(cdr, list) else [])
        if t in (16, 19):               # STRSXP, VECSXP
            v = [self.item() for _ in range(self.i())]
        elif t in (10, 13):             # LGLSXP, INTSXP
            n = self.i()
            v = list(struct.unpack(">%di" % n, self.raw(4 * n)))
        elif t == 14:                   # REALSXP
            n = self.i()
            v = list(struct.unpack(">%dd" % n, self.raw(8 * n)))
        else:
            raise ValueError("unsupported R SEXP type %d" % t)
        if has_attr:
            attrs = dict(self.item())
            return {"value": v, "attrs": attrs}
        return v


def r_decompress(chunk):
    typ = chunk[4:5]
    if typ == b"Z":
        return lzma.decompress(chunk[5:])
    if typ == b"2":
        return bz2.decompress(chunk[5:])
    if typ == b"0":
        return chunk[5:]
    return zlib.decompress(chunk[4:])


def r_lazyload(data_dir):
    with open(os.path.join(data_dir, "Rdata.rdx"), "rb") as f:
        index = RUnserializer(gzip.decompress(f.read())).run()
    variables = index["value"][0]
    names = variables["attrs"]["names"]
    with open(os.path.join(data_dir, "Rdata.rdb"), "rb") as f:
        db = f.read()
    out = {}
    for name, (off, length) in zip(names, variables["value"]):
        out[name] = RUnserializer(r_decompress(db[off:off + length])).run()
    return out


# ---------------------------------------------------------------------------
# Jane Austen: lines -> chapters

AUSTEN_BOOKS = {
    # R object name: (slug, title, Project Gutenberg ebook number)
    "sensesensibility": ("sense-and-sensibility", "Sense and Sensibility", 161),
    "prideprejudice": ("pride-and-prejudice", "Pride and Prejudice", 1342),
    "mansfieldpark": ("mansfield-park", "Mansfield Park", 141),
    "emma": ("emma", "Emma", 158),
    "northangerabbey": ("northanger-abbey", "Northanger Abbey", 121),
    "persuasion": ("persuasion", "Persuasion", 105),
}

ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}


def roman_or_int(s):
    if s.isdigit():
        return int(s)
    total, prev = 0, 0
    for ch in reversed(s.upper()):
        v = ROMAN[ch]
        total += -v if v < prev else v
        prev = max(prev, v)
    return total


CHAPTER_RE = re.compile(r"^\s*chapter\s+([0-9]+|[ivxlc]+)\.?\s*$", re.I)
VOLUME_RE = re.compile(r"^\s*volume\s+([0-9]+|[ivxlc]+)\.?\s*$", re.I)
END_RE = re.compile(r"^\s*(the end|finis|a note on the text)\.?\s*$", re.I)


def paragraphs(lines):
    """Joins hard-wrapped lines into one line per paragraph.

    Whitespace runs become one space (the transcriptions sometimes put two
    spaces after a full stop) and the _underscore_ italics markers of the
    Gutenberg plain-text files are removed, so that the text reads as it
    would when quoted.
    """
    paras, cur = [], []
    for line in lines + [""]:
        if line.strip():
            cur.append(line.strip())
        elif cur:
            p = " ".join(cur)
            p = re.sub(r"\s+", " ", p)
            p = re.sub(r"(?<![A-Za-z0-9])_([^_]+?)_(?![A-Za-z0-9])", r"\1", p)
            paras.append(p)
            cur = []
    return paras


def austen_docs(pkg_dir):
    data = r_lazyload(os.path.join(pkg_dir, "data"))
    docs = []
    for name, (slug, title, pg) in AUSTEN_BOOKS.items():
        lines = [l if l is not None else "" for l in data[name]]
        volume = None
        chapters = []            # (volume, number, [lines])
        preface = []
        for line in lines:
            m = VOLUME_RE.match(line)
            if m:
                volume = roman_or_int(m.group(1))
                continue
            m = CHAPTER_RE.match(line)
            if m:
                chapters.append((volume, roman_or_int(m.group(1)), []))
                continue
            if END_RE.match(line):
                break            # anything after the end is an editor's note
            if chapters:
                chapters[-1][2].append(line)
            else:
                preface.append(line)
        # Northanger Abbey opens with Austen's own "Advertisement".
        head = paragraphs(preface)
        adv = [i for i, p in enumerate(head) if p.startswith("ADVERTISEMENT")]
        if adv:
            i = adv[0]
            docs.append(austen_doc(slug, title, pg, "advertisement",
                                   "Advertisement by the Authoress",
                                   head[i + 1:]))
        for vol, num, body in chapters:
            if vol is not None:
                key = "volume-%d/chapter-%02d" % (vol, num)
                label = "Volume %d, Chapter %d" % (vol, num)
            else:
                key = "chapter-%02d" % num
                label = "Chapter %d" % num
            docs.append(austen_doc(slug, title, pg, key, label,
                                   paragraphs(body)))
    return docs


def austen_doc(slug, title, pg, key, label, paras):
    return {
        "id": "austen/%s/%s" % (slug, key),
        "source": "austen",
        "title": "%s (Jane Austen), %s" % (title, label),
        "url": "https://www.gutenberg.org/ebooks/%d" % pg,
        "license": AUSTEN_LICENSE,
        "text": "\n\n".join(paras) + "\n",
    }


# ---------------------------------------------------------------------------


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    html_dir, austen_dir, out = sys.argv[1:]
    docs = python_docs(html_dir) + austen_docs(austen_dir)
    docs.sort(key=lambda d: d["id"])
    ids = [d["id"] for d in docs]
    if len(set(ids)) != len(ids):
        sys.exit("duplicate document ids")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for d in docs:
            f.write(json.dumps(d, ensure_ascii=False, sort_keys=True))
            f.write("\n")
    nbytes = sum(len(d["text"].encode("utf-8")) for d in docs)
    by_source = {}
    for d in docs:
        by_source[d["source"]] = by_source.get(d["source"], 0) + 1
    print("documents: %d (%s); text bytes: %d" % (
        len(docs), ", ".join("%s %d" % kv for kv in sorted(by_source.items())),
        nbytes))


if __name__ == "__main__":
    main()
