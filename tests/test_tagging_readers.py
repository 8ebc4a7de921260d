"""Tagging readers (XTREME tsv, raw WikiANN, UD CoNLL-U, CCG) on files the tests write, malformed ones included,
and on the real shared copies of UD-POS, PAN-X and UD v2.5 (skipped where absent), against their SOURCE.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.builders import local, write_text
from tests.conftest import SHARED_DATA
from xstilts.benchmarks import TASK_LANGUAGES
from xstilts.data.conll import read_conllu, read_panx_raw, read_tagging_tsv
from xstilts.data.sources import DataSource
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.tasks.base import SplitRef
from xstilts.tasks.registry import get_task
from xstilts.tasks.udpos import HUB_NAMES, UPOS_TAGS

NER = get_task("panx").labels


# --- task facts ---------------------------------------------------------------------------------------------------


def test_languages_are_xtreme_r_lists():
    udpos, panx, ccg = get_task("udpos"), get_task("panx"), get_task("ccg")
    assert len(udpos.languages) == 38 and udpos.languages == TASK_LANGUAGES["xtreme-r"]["udpos"]
    assert len(panx.languages) == 48 and panx.languages == TASK_LANGUAGES["xtreme-r"]["panx"]
    assert {"lt", "pl", "uk", "wo", "ro"} <= set(udpos.languages) - set(TASK_LANGUAGES["xtreme"]["udpos"])
    assert set(udpos.splits["test"]) == set(udpos.languages) and udpos.train_from == SplitRef("udpos", "train")
    # every language with a train treebank can be an intermediate source; th, tl, yo have test treebanks only
    assert set(udpos.splits["train"]) == set(udpos.languages) - {"th", "tl", "yo"}
    assert {"kk", "th", "tl", "yo"}.isdisjoint(udpos.splits["dev"])
    assert set(HUB_NAMES) == set(TASK_LANGUAGES["xtreme"]["udpos"])
    assert udpos.labels == UPOS_TAGS and len(UPOS_TAGS) == 17
    assert udpos.metric == panx.metric == "seqeval_f1" and udpos.selection_metric == "f1"
    assert ccg.languages == ("en",) and ccg.metric == "tag_accuracy"
    assert [t.kind.name for t in (udpos, panx, ccg)] == ["token_tagging"] * 3


def test_hub_lacks_xtreme_r_additions_with_a_clear_error():
    with pytest.raises(XstiltsError, match=r"no UD-POS config for 'wo'.*local"):
        get_task("udpos").read("test", "wo", DataSource())
    with pytest.raises(XstiltsError, match="no PAN-X config for 'qu'"):
        get_task("panx").read("test", "qu", DataSource())
    with pytest.raises(XstiltsError, match="CCGbank is licensed"):
        get_task("ccg").read("train", "en", DataSource(source="hub"))


# --- XTREME tsv ---------------------------------------------------------------------------------------------------


def test_xtreme_tsv_sentences_and_docstart(tmp_path: Path):
    path = write_text(tmp_path / "dev-de.tsv", "Der\tDET\nHund\tNOUN\n\n\n-DOCSTART-\tX\nbellt\tVERB\n.\tPUNCT")
    examples = read_tagging_tsv(path, UPOS_TAGS, "g")
    assert [(e.words, e.tags) for e in examples] == [
        (("Der", "Hund"), ("DET", "NOUN")),
        (("bellt", "."), ("VERB", "PUNCT")),
    ]
    assert [e.guid for e in examples] == ["g-0", "g-1"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a\tNOUN\nb\tNOUN\textra\n", 2, "expected 2 tab-separated fields"),
        ("a\tNOUN\n\nb\tNOUNS\n", 3, "field 'tag': 'NOUNS' is not one of"),
        ("a\tNOUN\nb\n", 2, "no tag column"),
        ("a\tNOUN\n\tNOUN\n", 2, "field 'word': empty"),
    ],
)
def test_xtreme_tsv_errors_name_file_and_line(tmp_path: Path, text: str, line: int, message: str):
    path = write_text(tmp_path / "test-en.tsv", text)
    with pytest.raises(DataFormatError, match=message) as caught:
        read_tagging_tsv(path, UPOS_TAGS, "g")
    assert caught.value.path == str(path) and caught.value.line == line
    assert f"test-en.tsv:{line}:" in str(caught.value)


def test_xtreme_tsv_missing_and_not_utf8(tmp_path: Path):
    with pytest.raises(DataFormatError, match="file not found"):
        read_tagging_tsv(tmp_path / "nope.tsv", UPOS_TAGS, "g")
    bad = tmp_path / "bad.tsv"
    bad.write_bytes(b"caf\xe9\tNOUN\n")
    with pytest.raises(DataFormatError, match="not UTF-8"):
        read_tagging_tsv(bad, UPOS_TAGS, "g")


# --- raw WikiANN --------------------------------------------------------------------------------------------------


def test_panx_raw_strips_language_prefix_like_xtreme(tmp_path: Path):
    path = write_text(tmp_path / "en" / "dev", "en:R.H.\tB-ORG\nen:Saunders\tI-ORG\n\nen:a:b\tO\n\n")
    examples = read_panx_raw(path, NER, "p")
    assert [e.words for e in examples] == [("R.H.", "Saunders"), ("a:b",)]  # cut after the first colon only
    assert examples[0].tags == ("B-ORG", "I-ORG")
    bad = write_text(tmp_path / "en" / "test", "en:x\tO\nword\tO\n")
    with pytest.raises(DataFormatError, match="lacks the raw WikiANN 'lang:' prefix") as caught:
        read_panx_raw(bad, NER, "p")
    assert caught.value.line == 2
    with pytest.raises(DataFormatError, match="B-MISC"):
        read_panx_raw(write_text(tmp_path / "x", "en:x\tB-MISC\n"), NER, "p")


def test_panx_task_reads_both_layouts_and_says_what_is_missing(tmp_path: Path):
    write_text(tmp_path / "tsv" / "dev-de.tsv", "Berlin\tB-LOC\n")
    write_text(tmp_path / "raw" / "de" / "dev", "de:Berlin\tB-LOC\n")
    panx = get_task("panx")
    for layout in ("tsv", "raw"):
        [example] = panx.read("dev", "de", local(tmp_path / layout))
        assert example.words == ("Berlin",) and example.tags == ("B-LOC",)
    with pytest.raises(XstiltsError, match=r"neither dev-fr\.tsv nor fr/dev"):
        panx.read("dev", "fr", local(tmp_path / "tsv"))


# --- CoNLL-U ------------------------------------------------------------------------------------------------------

CONLLU = """# sent_id = 1
# text = Im Haus ist's.
1-2\tIm\t_\t_\t_\t_\t_\t_\t_\t_
1\tIn\tin\tADP\t_\t_\t3\tcase\t_\t_
2\tdem\tder\tDET\t_\t_\t3\tdet\t_\t_
3\tHaus\tHaus\tNOUN\t_\t_\t0\troot\t_\t_
3.1\tist\tsein\tAUX\t_\t_\t_\t_\t3:cop\t_
4\t.\t.\tPUNCT\t_\t_\t3\tpunct\t_\t_

# sent_id = 2
1\t10 000\t10000\tNUM\t_\t_\t0\troot\t_\t_
2\tx\u200cy\txy\tX\t_\t_\t1\tdep\t_\t_
"""


def test_conllu_fuses_multiword_tokens_skips_empty_nodes_and_joins_spaces(tmp_path: Path):
    path = write_text(tmp_path / "de_gsd-ud-dev.conllu", CONLLU)
    xtreme = read_conllu([path], UPOS_TAGS, "u")  # "Im": In and dem both under Haus; ADP ranks before DET
    assert [(e.words, e.tags) for e in xtreme] == [
        (("Im", "Haus", "."), ("ADP", "NOUN", "PUNCT")),
        (("10000", "xy"), ("NUM", "X")),
    ]
    syntactic = read_conllu([path], UPOS_TAGS, "u", fused_forms=False)
    assert [(e.words, e.tags) for e in syntactic] == [
        (("In", "dem", "Haus", "."), ("ADP", "DET", "NOUN", "PUNCT")),
        (("10000", "xy"), ("NUM", "X")),
    ]


def _conllu_rows(*rows: tuple[str, ...]) -> str:
    """CoNLL-U lines from (ID, FORM, UPOS, HEAD[, DEPS]) tuples; the other columns ``_``."""
    lines = []
    for row in rows:
        token_id, form, upos, head, deps = (*row, "_") if len(row) == 4 else row
        lines.append("\t".join([token_id, form, "_", upos, "_", "_", head, "dep" if head != "_" else "_", deps, "_"]))
    return "\n".join(lines) + "\n\n"


def test_conllu_multiword_token_takes_its_span_heads_tag_like_ud_conversion_tools(tmp_path: Path):
    text = _conllu_rows(
        ("1-2", "del", "_", "_"), ("1", "de", "ADP", "3"), ("2", "el", "DET", "3"), ("3", "coche", "NOUN", "0")
    )
    [example] = read_conllu([write_text(tmp_path / "es_x-ud-dev.conllu", text)], UPOS_TAGS, "u")
    assert (example.words, example.tags) == (("del", "coche"), ("ADP", "NOUN"))  # de and el tie; es: ADP before DET
    # A single highest subtoken (the one whose head lies outside the span) wins whatever its tag: darlo = dar + lo.
    darlo = _conllu_rows(("1-2", "darlo", "_", "_"), ("1", "dar", "VERB", "0"), ("2", "lo", "PRON", "1"))
    [example] = read_conllu([write_text(tmp_path / "es_y-ud-dev.conllu", darlo)], UPOS_TAGS, "u")
    assert (example.words, example.tags) == (("darlo",), ("VERB",))
    reverse = _conllu_rows(("1-2", "xy", "_", "_"), ("1", "x", "PRON", "2"), ("2", "y", "INTJ", "0"))
    [example] = read_conllu([write_text(tmp_path / "es_z-ud-dev.conllu", reverse)], UPOS_TAGS, "u")
    assert example.tags == ("INTJ",)


def test_conllu_span_head_ties_use_the_file_languages_precedence_and_enhanced_edges(tmp_path: Path):
    tie = _conllu_rows(
        ("1-2", "ab", "_", "_"), ("1", "a", "PRON", "3"), ("2", "b", "ADV", "3"), ("3", "c", "VERB", "0")
    )
    # Italian ranks ADV before PRON; the default list (English, German, Finnish...) PRON before ADV.
    [italian] = read_conllu([write_text(tmp_path / "it_x-ud-dev.conllu", tie)], UPOS_TAGS, "u")
    [english] = read_conllu([write_text(tmp_path / "en_x-ud-dev.conllu", tie)], UPOS_TAGS, "u")
    assert italian.tags == ("ADV", "VERB") and english.tags == ("PRON", "VERB")
    # The tool's graph also holds the enhanced (DEPS) edges: an extra edge 1 -> 2 makes 1 the single highest.
    enhanced = tie.replace("\t3\tdep\t_\t_\n3", "\t3\tdep\t3:dep|1:x\t_\n3")
    assert enhanced != tie
    [example] = read_conllu([write_text(tmp_path / "it_y-ud-dev.conllu", enhanced)], UPOS_TAGS, "u")
    assert example.tags == ("PRON", "VERB")
    # A tie on tags the list lacks (the tool would raise): listed tags first, then word order.
    sym = tie.replace("PRON", "SYM").replace("ADV", "X")
    [example] = read_conllu([write_text(tmp_path / "en_y-ud-dev.conllu", sym)], UPOS_TAGS, "u")
    assert example.tags == ("X", "VERB")


def test_conllu_drops_withheld_text_like_xtreme(tmp_path: Path):
    text = "1\t_\t_\tNOUN\t_\t_\t0\troot\t_\t_\n2\t_\t_\tVERB\t_\t_\t1\tdep\t_\t_\n3\t.\t.\tPUNCT\t_\t_\t1\tp\t_\t_\n\n"
    text += "1\tok\tok\tINTJ\t_\t_\t0\troot\t_\t_\n"
    path = write_text(tmp_path / "ar_nyuad-ud-test.conllu", text)
    assert [e.words for e in read_conllu([path], UPOS_TAGS, "u")] == [("ok",)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2\tdem\tder\tDET\t_\t_\t3\tdet\t_", r"expected 10 tab-separated fields \(ID, FORM, .*, MISC\), found 9"),
        ("2\tdem\tder\tDETT\t_\t_\t3\tdet\t_\t_", "field 'UPOS': 'DETT' is not one of"),
        ("5\tdem\tder\tDET\t_\t_\t3\tdet\t_\t_", "field 'ID': expected word 2 of the sentence, found '5'"),
        ("2-x\tzum\t_\t_\t_\t_\t_\t_\t_\t_", "field 'ID': '2-x' is not a multiword-token range"),
        ("3-4\tzum\t_\t_\t_\t_\t_\t_\t_\t_", "field 'ID': expected a range from word 2, found '3-4'"),
        ("2-3\tzum\t_\t_\t_\t_\t_\t_\t_\t_", "multiword token 2-3 reaches past the sentence's last word"),
    ],
)
def test_conllu_errors_name_file_and_line(tmp_path: Path, line: str, message: str):
    path = write_text(tmp_path / "en_x-ud-dev.conllu", f"# c\n1\tIn\tin\tADP\t_\t_\t3\tcase\t_\t_\n{line}\n")
    with pytest.raises(DataFormatError, match=message) as caught:
        read_conllu([path], UPOS_TAGS, "u")
    assert caught.value.line == 3 and "en_x-ud-dev.conllu:3" in str(caught.value)


def test_udpos_merges_every_treebank_of_a_language(tmp_path: Path):
    row = "1\t{w}\t{w}\tNOUN\t_\t_\t0\troot\t_\t_\n\n"
    write_text(tmp_path / "UD_English-B" / "en_b-ud-train.conllu", row.format(w="bee"))
    write_text(tmp_path / "UD_English-A" / "en_a-ud-train.conllu", row.format(w="ay") + row.format(w="ay2"))
    write_text(tmp_path / "UD_English-A" / "en_a-ud-dev.conllu", row.format(w="dev"))
    write_text(tmp_path / "UD_Estonian-X" / "et_x-ud-train.conllu", row.format(w="et"))
    udpos = get_task("udpos")
    examples = udpos.read("train", "en", local(tmp_path))
    assert [e.words[0] for e in examples] == ["ay", "ay2", "bee"]
    assert len({e.guid for e in examples}) == 3
    with pytest.raises(XstiltsError, match=r"neither test-en\.tsv nor any UD_"):
        udpos.read("test", "en", local(tmp_path))


# --- CCG ----------------------------------------------------------------------------------------------------------


def test_ccg_reads_inventory_and_tsv(tmp_path: Path):
    write_text(tmp_path / "tags.txt", "NP\n(S\\NP)/NP\nN/N\n")
    write_text(tmp_path / "train.tsv", "Dogs\tNP\nchase\t(S\\NP)/NP\ncats\tNP\n")
    ccg = get_task("ccg")
    assert ccg.label_set(local(tmp_path)) == ("NP", "(S\\NP)/NP", "N/N")
    [example] = ccg.read("train", "en", local(tmp_path))
    assert example.tags == ("NP", "(S\\NP)/NP", "NP")
    write_text(tmp_path / "dev.tsv", "Dogs\tNP\n\nbark\tS\\NP\n")
    with pytest.raises(DataFormatError, match=r"field 'tag': 'S\\\\NP' is not one of") as caught:
        ccg.read("dev", "en", local(tmp_path))
    assert caught.value.line == 3 and caught.value.path.endswith("dev.tsv")


@pytest.mark.parametrize(("text", "message"), [("NP\n\nN\n", "one category"), ("NP\nN\nNP\n", "listed twice")])
def test_ccg_inventory_errors(tmp_path: Path, text: str, message: str):
    write_text(tmp_path / "tags.txt", text)
    with pytest.raises(DataFormatError, match=message):
        get_task("ccg").label_set(local(tmp_path))


def test_ccg_needs_a_local_path():
    with pytest.raises(XstiltsError, match="needs local data"):
        get_task("ccg").label_set(DataSource(source="local"))


# --- the real shared files (integration) --------------------------------------------------------------------------

needs_shared = pytest.mark.skipif(not (SHARED_DATA / "udpos").is_dir(), reason="shared data absent")


@needs_shared
@pytest.mark.parametrize(
    ("split", "language", "sentences"),
    [("train", "en", 21253), ("dev", "en", 3974), ("test", "en", 5440), ("dev", "es", 3054), ("test", "fi", 4422)],
)
def test_shared_udpos_sentence_counts(split: str, language: str, sentences: int):
    path = SHARED_DATA / "udpos" / f"{split}-{language}.tsv"
    examples = get_task("udpos").read(split, language, local(SHARED_DATA / "udpos"))
    assert len(examples) == sentences  # SOURCE.md
    lines = path.read_text(encoding="utf-8").count("\n")
    assert sum(len(e.words) for e in examples) + len(examples) in (lines, lines + 1)  # a blank line per sentence


@pytest.mark.skipif(not (SHARED_DATA / "panx" / "raw").is_dir(), reason="shared data absent")
@pytest.mark.parametrize(("split", "language", "sentences"), [("train", "en", 20000), ("dev", "de", 10000)])
def test_shared_panx_tsv_and_raw_agree(split: str, language: str, sentences: int):
    panx = get_task("panx")
    tsv = panx.read(split, language, local(SHARED_DATA / "panx"))
    raw = panx.read(split, language, local(SHARED_DATA / "panx" / "raw"))
    assert len(tsv) == sentences  # SOURCE.md
    assert [(e.words, e.tags) for e in tsv] == [(e.words, e.tags) for e in raw]


needs_ud = pytest.mark.skipif(
    not (SHARED_DATA / "ud" / "UD_English-EWT").is_dir() or not (SHARED_DATA / "udpos").is_dir(),
    reason="shared data absent",
)


@needs_ud
def test_shared_ud_conllu_word_counts():
    udpos, ud = get_task("udpos"), local(SHARED_DATA / "ud")
    # EWT dev: 2002 sentences, 25148 words (2 empty nodes skipped, no multiword tokens); ParTUT dev: 156 sentences,
    # 2722 syntactic words, one multiword token (2721 words fused).
    ewt = read_conllu([SHARED_DATA / "ud" / "UD_English-EWT" / "en_ewt-ud-dev.conllu"], UPOS_TAGS, "e")
    assert (len(ewt), sum(len(e.words) for e in ewt)) == (2002, 25148)
    merged = udpos.read("dev", "en", ud)
    assert (len(merged), sum(len(e.words) for e in merged)) == (2002 + 156, 25148 + 2721)
    german = udpos.read("dev", "de", ud)  # 164 multiword tokens (zum = zu dem), each one word
    assert (len(german), sum(len(e.words) for e in german)) == (799, 12486 - 164)
    gsd = [SHARED_DATA / "ud" / "UD_German-GSD" / "de_gsd-ud-dev.conllu"]
    syntactic = read_conllu(gsd, UPOS_TAGS, "g", fused_forms=False)
    assert sum(len(e.words) for e in syntactic) == 12486
    zum = [sum(e.words.count("zum") for e in examples) for examples in (german, syntactic)]
    assert zum[0] > 0 and zum[1] == 0


@needs_ud
@pytest.mark.parametrize(
    ("conllu", "tsv", "start"),
    [
        ("UD_German-GSD/de_gsd-ud-dev.conllu", "dev-de.tsv", 0),  # GSD dev, then HDT dev (not shared)
        ("UD_English-EWT/en_ewt-ud-dev.conllu", "dev-en.tsv", 0),  # ESL's withheld text dropped: EWT first
        ("UD_English-ParTUT/en_partut-ud-dev.conllu", "dev-en.tsv", 3818),  # after EWT, GUM and LinES
        ("UD_English-EWT/en_ewt-ud-test.conllu", "test-en.tsv", 0),
        ("UD_English-ParTUT/en_partut-ud-test.conllu", "test-en.tsv", 4002),
        ("UD_Finnish-TDT/fi_tdt-ud-dev.conllu", "dev-fi.tsv", 1875),  # after FTB
    ],
)
def test_shared_ud_conllu_reads_exactly_as_xtremes_tsv(conllu: str, tsv: str, start: int):
    """Sentence by sentence, words and tags, the CoNLL-U reader gives XTREME's preprocessed files: 100% identical,
    multiword tokens (German zum/im/am..., ParTUT don't, Finnish muttei) included."""
    ours = [(e.words, e.tags) for e in read_conllu([SHARED_DATA / "ud" / conllu], UPOS_TAGS, "u")]
    xtreme = [(e.words, e.tags) for e in read_tagging_tsv(SHARED_DATA / "udpos" / tsv, UPOS_TAGS, "x")]
    block = xtreme[start : start + len(ours)]
    assert len(block) == len(ours)
    assert [i for i, (a, b) in enumerate(zip(ours, block, strict=True)) if a != b] == []


# --- the hub, replaced by datasets.Dataset.from_dict with google/xtreme's schema -----------------------------------


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """google/xtreme's tagging configs as ``datasets`` would load them: tokens plus class-label id sequences."""
    import datasets

    calls: list[tuple] = []
    upos = datasets.Sequence(datasets.ClassLabel(names=list(UPOS_TAGS)))
    ner = datasets.Sequence(datasets.ClassLabel(names=list(NER)))

    def load_dataset(path, name=None, *, split=None, revision=None, **kwargs):
        calls.append((path, name, split, revision))
        if name == "udpos.German":
            features = datasets.Features({"tokens": datasets.Sequence(datasets.Value("string")), "pos_tags": upos})
            return datasets.Dataset.from_dict({"tokens": [["Der", "Hund"]], "pos_tags": [[5, 7]]}, features=features)
        if name == "PAN-X.de":
            features = datasets.Features(
                {
                    "tokens": datasets.Sequence(datasets.Value("string")),
                    "ner_tags": ner,
                    "langs": datasets.Sequence(datasets.Value("string")),
                }
            )
            row = {"tokens": [["Angela", "Merkel", "spricht"]], "ner_tags": [[1, 2, 0]], "langs": [["de"] * 3]}
            return datasets.Dataset.from_dict(row, features=features)
        raise FileNotFoundError(name)

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    return calls


def test_hub_configs_and_class_label_names(fake_hub: list[tuple]):
    [pos] = get_task("udpos").read("dev", "de", DataSource(revision="r1"))
    assert (pos.words, pos.tags) == (("Der", "Hund"), ("DET", "NOUN"))
    [ner] = get_task("panx").read("test", "de", DataSource())
    assert (ner.words, ner.tags) == (("Angela", "Merkel", "spricht"), ("B-PER", "I-PER", "O"))
    assert fake_hub == [
        ("google/xtreme", "udpos.German", "validation", "r1"),
        ("google/xtreme", "PAN-X.de", "test", None),
    ]
