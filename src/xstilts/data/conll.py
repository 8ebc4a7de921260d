"""Word-per-line tagging files: XTREME's preprocessed tsv, raw WikiANN (PAN-X), and official UD CoNLL-U.

* XTREME tsv (``utils_preprocess.py`` output for ``udpos`` and ``panx``): ``word<TAB>tag`` per line, a blank line
  between sentences; ``-DOCSTART-`` lines separate documents (XTREME's reader skips them).
* Raw WikiANN (the per-language archives of Rahimi et al.'s split that XTREME reads): the same, with every word
  written ``lang:word``; XTREME's ``panx_preprocess`` cuts the word after the first colon.
* CoNLL-U (UD treebanks): ten tab-separated columns, UPOS in the fourth; comment lines start with ``#``; empty
  nodes (``1.1``) are not words and are skipped. By default the words are XTREME's, not UD's syntactic words:
  XTREME converts each treebank with its copy of ud-conversion-tools (``conllu_to_conll.py --lang LANG
  --replace_subtokens_with_fused_forms --print_fused_forms``), which makes each multiword token (range line
  ``1-2 zum``) ONE word, its fused form, tagged with the UPOS of its span head: the subtoken with the fewest
  ancestors in the sentence graph (basic tree plus enhanced DEPS edges), that is the one whose head lies outside
  the span; when several are equally high (``zu`` ADP and ``dem`` DET both attached to the noun), the one whose
  UPOS comes first in the tool's precedence list for the file's language (``SPANHEAD_PRECEDENCE``). So ``zum``
  ADP, Spanish ``del`` ADP, English ``don't`` AUX, Finnish ``muttei`` AUX. ``--print_fused_forms`` prints nothing
  once the ranges are replaced. ``read_conllu(..., fused_forms=False)`` gives UD's syntactic words instead
  (``zu`` ADP, ``dem`` DET). As XTREME's ``udpos_preprocess``, each form is stripped and zero-width non-joiners
  and spaces inside it are removed (so a sentence joined by spaces keeps one tag per word), and sentences whose
  text was withheld (every word, or all but one, ``_``: e.g. UD_Arabic-NYUAD) are dropped. Checked on UD v2.5:
  German GSD dev, English EWT dev/test, ParTUT train/dev/test and Finnish TDT dev/test read identical (words and
  tags, sentence by sentence) to the corresponding sentences of XTREME's ``{split}-{lang}.tsv``.

Every reader checks each tag against the task's tag set, so a wrong file fails on its first bad line, naming it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from xstilts.data.examples import TaggingExample
from xstilts.data.files import check_columns, check_label, check_nonempty, field_error, read_lines
from xstilts.errors import DataFormatError

CONLLU_FIELDS = ("ID", "FORM", "LEMMA", "UPOS", "XPOS", "FEATS", "HEAD", "DEPREL", "DEPS", "MISC")
_UPOS = CONLLU_FIELDS.index("UPOS")


def _word_tag_sentences(path: Path, labels: Sequence[str], raw_prefix: bool) -> Iterator[tuple[list[str], list[str]]]:
    words: list[str] = []
    tags: list[str] = []
    for number, line in read_lines(path):
        if not line.strip() or line.startswith("-DOCSTART-"):
            if words:
                yield words, tags
                words, tags = [], []
            continue
        fields = line.split("\t")
        if len(fields) == 1:
            raise DataFormatError(
                path,
                "no tag column (expected 'word<TAB>tag'): XTREME's preprocessed test files are unlabelled; for"
                " evaluation use the labelled files",
                number,
            )
        word, tag = (field.strip() for field in check_columns(path, number, fields, 2, names=("word", "tag")))
        if raw_prefix:
            colon = word.find(":")
            if colon < 0:
                raise field_error(path, number, "word", f"{word!r} lacks the raw WikiANN 'lang:' prefix")
            word = word[colon + 1 :].strip()
        words.append(check_nonempty(path, number, "word", word))
        tags.append(check_label(path, number, "tag", tag, labels))
    if words:
        yield words, tags


def _numbered_examples(sentences: Iterator[tuple[list[str], list[str]]], guid_prefix: str) -> list[TaggingExample]:
    """Guids number the sentences from 0 in file order, one scheme for both word-per-line layouts, so a task's
    guids do not depend on which layout it was read from."""
    return [
        TaggingExample(f"{guid_prefix}-{i}", tuple(words), tuple(tags)) for i, (words, tags) in enumerate(sentences)
    ]


def read_tagging_tsv(path: Path, labels: Sequence[str], guid_prefix: str) -> list[TaggingExample]:
    """XTREME's preprocessed ``{split}-{lang}.tsv``: one ``word<TAB>tag`` per line, blank line between sentences."""
    return _numbered_examples(_word_tag_sentences(path, labels, raw_prefix=False), guid_prefix)


def read_panx_raw(path: Path, labels: Sequence[str], guid_prefix: str) -> list[TaggingExample]:
    """A raw WikiANN split file (``LANG/{train,dev,test}``): ``lang:word<TAB>tag`` per line."""
    return _numbered_examples(_word_tag_sentences(path, labels, raw_prefix=True), guid_prefix)


def tagging_examples_from_hub(rows: Any, tag_column: str, guid_prefix: str) -> list[TaggingExample]:
    """A hub tagging split (google/xtreme's ``udpos.*`` and ``PAN-X.*``): ``tokens`` plus a sequence of class-label
    ids in ``tag_column``, turned back into tag names through the dataset's own ``ClassLabel``, so the order of
    the task's tag tuple never has to match the hub's."""
    names = rows.features[tag_column].feature.names
    return [
        TaggingExample(f"{guid_prefix}-{i}", tuple(row["tokens"]), tuple(names[t] for t in row[tag_column]))
        for i, row in enumerate(rows)
    ]


# XTREME's copy of ud-conversion-tools (``third_party/ud-conversion-tools/conllu_to_conll.py``) ranks UPOS tags to
# choose a multiword token's head among subtokens equally close to the root (``POSRANKPRECEDENCEDICT``); XTREME
# passes ``--lang`` the file name's prefix. XTREME's copy differs from upstream (coastalcph/ud-conversion-tools):
# CCONJ for CONJ in the default list, German's list commented out (German uses the default), INTJ added to Italian.
SPANHEAD_PRECEDENCE: dict[str, tuple[str, ...]] = {
    "default": (
        "VERB",
        "NOUN",
        "PROPN",
        "PRON",
        "ADJ",
        "NUM",
        "ADV",
        "INTJ",
        "AUX",
        "ADP",
        "DET",
        "PART",
        "CCONJ",
        "SCONJ",
        "X",
        "PUNCT",
    ),
    "es": ("VERB", "AUX", "PRON", "ADP", "DET"),
    "fr": ("VERB", "AUX", "PRON", "NOUN", "ADJ", "ADV", "ADP", "DET", "PART", "SCONJ", "CONJ"),
    "it": ("VERB", "AUX", "ADV", "PRON", "ADP", "DET", "INTJ"),
}


class _Sentence:
    """One CoNLL-U sentence as read: its words (ID order), the heads of each word in the basic tree and the
    enhanced graph, and its multiword-token ranges."""

    def __init__(self) -> None:
        self.forms: list[str] = []
        self.tags: list[str] = []
        self.heads: dict[int, set[int]] = {}
        self.ranges: list[tuple[int, int, str, int]] = []  # first word, last word, fused form, line number

    def ancestors(self, word: int) -> set[int]:
        """Every node with a path to ``word`` (ROOT 0 included, ``word`` itself not), as ``networkx.ancestors``
        on the tool's graph, which holds the basic tree's edges and the enhanced graph's (DEPS) edges alike."""
        seen: set[int] = set()
        todo = list(self.heads.get(word, ()))
        while todo:
            node = todo.pop()
            if node not in seen and node != word:
                seen.add(node)
                todo.extend(self.heads.get(node, ()))
        return seen

    def span_head(self, first: int, last: int, precedence: Sequence[str]) -> int:
        """ud-conversion-tools' span head: the subtoken with the fewest ancestors if only one has that few (for a
        well-formed span, the one whose head lies outside it); among several (``del`` = ``de`` + ``el``, both
        attached to the noun), the one whose UPOS comes first in the language's precedence list, the first in
        word order on a draw. The tool raises on an unlisted tag (its conversion of the whole file fails); here
        unlisted tags rank after the listed ones."""
        span = range(first, last + 1)
        depth = {word: len(self.ancestors(word)) for word in span}
        highest = [word for word in span if depth[word] == min(depth.values())]
        rank = {tag: i for i, tag in enumerate(precedence)}
        return min(highest, key=lambda word: (rank.get(self.tags[word - 1], len(rank)), word))

    def words(self, precedence: Sequence[str] | None) -> tuple[list[str], list[str]]:
        """The word sequence: UD's syntactic words, or with ``precedence`` XTREME's, where each multiword token is
        one word, its fused form tagged with its span head's UPOS (``--replace_subtokens_with_fused_forms``; the
        ``--print_fused_forms`` XTREME also passes prints nothing once the ranges are replaced)."""
        if precedence is None or not self.ranges:
            return self.forms, self.tags
        form_of: dict[int, str | None] = {}
        for first, last, fused, _ in self.ranges:
            head = self.span_head(first, last, precedence)
            form_of.update(dict.fromkeys(range(first, last + 1)))  # None: a subtoken the fused word replaces
            form_of[head] = fused
        words, tags = [], []
        for word, (form, tag) in enumerate(zip(self.forms, self.tags, strict=True), start=1):
            if word not in form_of:
                words.append(form)
                tags.append(tag)
            elif form_of[word] is not None:
                words.append(form_of[word])
                tags.append(tag)
        return words, tags


def _clean_form(form: str) -> str:
    """XTREME's ``udpos_preprocess``: the form stripped, zero-width non-joiners and spaces inside removed."""
    return "".join(form.strip().replace("\u200c", "").split(" "))


def _head_id(field: str) -> int | None:
    """A head as the tool reads it: a word ID or ROOT 0; ``_`` and empty nodes (``8.1``) give no edge."""
    return int(field) if field.isascii() and field.isdigit() else None


def _check_ranges(path: Path, sentence: _Sentence) -> _Sentence:
    for first, last, _, line in sentence.ranges:
        if last > len(sentence.forms):
            raise field_error(path, line, "ID", f"multiword token {first}-{last} reaches past the sentence's last word")
    return sentence


def _conllu_sentences(path: Path, labels: Sequence[str]) -> Iterator[_Sentence]:
    sentence = _Sentence()
    for number, line in read_lines(path):
        if not line.strip():
            if sentence.forms:
                yield _check_ranges(path, sentence)
                sentence = _Sentence()
            continue
        if line.startswith("#"):
            continue
        fields = check_columns(path, number, line.split("\t"), len(CONLLU_FIELDS), names=CONLLU_FIELDS)
        token_id = fields[0]
        if "." in token_id:
            continue  # an empty node: not a word (the tool drops it, and every enhanced edge to or from it)
        expected = len(sentence.forms) + 1
        if "-" in token_id:
            first, _, last = token_id.partition("-")
            if not (first.isascii() and first.isdigit() and last.isascii() and last.isdigit()):
                raise field_error(path, number, "ID", f"{token_id!r} is not a multiword-token range")
            if int(first) != expected or int(last) <= int(first):
                raise field_error(path, number, "ID", f"expected a range from word {expected}, found {token_id!r}")
            sentence.ranges.append((int(first), int(last), _clean_form(fields[1]), number))
            continue
        if _head_id(token_id) != expected:
            raise field_error(path, number, "ID", f"expected word {expected} of the sentence, found {token_id!r}")
        heads = [_head_id(fields[6])]
        if fields[8] != "_":  # enhanced dependencies: ``head:deprel`` pairs
            heads.extend(_head_id(dep.split(":")[0]) for dep in fields[8].split("|"))
        sentence.heads[expected] = {head for head in heads if head is not None}
        sentence.forms.append(_clean_form(fields[1]))
        sentence.tags.append(check_label(path, number, "UPOS", fields[_UPOS].strip(), labels))
    if sentence.forms:
        yield _check_ranges(path, sentence)


def _text_withheld(words: list[str]) -> bool:
    """Treebanks distributed without their text (UD_Arabic-NYUAD) write ``_`` for the words; XTREME drops them."""
    blanks = sum(word == "_" for word in words)
    return blanks > 0 and blanks >= len(words) - 1


def read_conllu(
    paths: Sequence[Path], labels: Sequence[str], guid_prefix: str, *, fused_forms: bool = True
) -> list[TaggingExample]:
    """The UPOS-tagged sentences of one or more CoNLL-U files, in the given order (treebanks merged).

    ``fused_forms`` (the default) gives XTREME's words: each multiword token one word, its fused form with its span
    head's UPOS, the head chosen with the precedence list of the language the file name starts with
    (``de_gsd-ud-dev.conllu``: ``de``), as XTREME's ``--lang``. Without it, UD's syntactic words."""
    examples = []
    for path in paths:
        language = path.name.split("_")[0]
        precedence = SPANHEAD_PRECEDENCE.get(language, SPANHEAD_PRECEDENCE["default"]) if fused_forms else None
        for sentence in _conllu_sentences(path, labels):
            words, tags = sentence.words(precedence)
            if not _text_withheld(words):
                examples.append(TaggingExample(f"{guid_prefix}-{len(examples)}", tuple(words), tuple(tags)))
    return examples


def find_ud_files(root: Path, language: str, split: str) -> list[Path]:
    """Every treebank's file of one language and split: ``UD_*/LANG_*-ud-SPLIT.conllu``, sorted by file name, the
    order in which XTREME's ``udpos_preprocess`` merges them."""
    return sorted(root.glob(f"UD_*/{language}_*-ud-{split}.conllu"), key=lambda path: (path.name, str(path)))
