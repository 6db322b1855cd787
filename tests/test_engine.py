"""The engine with the real model: incremental indexing, duplicates, atomic saves, exact citations."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from qa.engine import Engine
from qa.errors import DocumentError, IndexBusyError, IndexDamagedError, QuestionError
from qa.readers.loaders import load_document
from qa.stores.files import Store
from tests.conftest import ARTICLE
from tests.docmaker import make_docx, make_pdf

CATS = "Cats sleep for most of the day. They hunt at night and rest in warm places."
TRAINS = "The night train leaves the central station at ten. Tickets are sold on board."
BUDGET = "The council budget for 2024 was 12.5 million pounds, most of it for schools."


def assert_verbatim(engine: Engine, answer) -> None:
    """Every passage is the exact slice of its document's text at the offsets it cites."""
    for hit in answer.hits:
        p = hit.passage
        source_text = engine.source_text(p.source)
        assert source_text[p.start : p.end] == p.text
        if p.source.endswith((".txt", ".md")):
            original = load_document(p.source, Path(p.source).read_bytes()).text
            assert original[p.start : p.end] == p.text
        if hit.highlight:
            assert p.start <= hit.highlight.start < hit.highlight.end <= p.end


def test_answers_cite_exact_slices(any_article_engine: Engine) -> None:
    for question in ["Who wrote the audit?", "taxi licensing", "care homes", "What is the speed of light?"]:
        answer = any_article_engine.ask(question, k=5)
        assert len(answer.hits) == 5
        assert_verbatim(any_article_engine, answer)
    answer = any_article_engine.ask("Were residential care homes targeted by abusers?", k=3)
    assert "care homes" in answer.hits[0].passage.text.lower()
    assert answer.hits[0].highlight is not None and answer.answered


def test_questions_that_are_odd_but_valid(any_article_engine: Engine) -> None:
    for question in ["\U0001f600 \U0001f914", "\u00bfQui\u00e9n escribi\u00f3 el informe?", "<script>alert(1)</script>",
                     "'; DROP TABLE passages; --", "x" * 20000]:  # fmt: skip
        answer = any_article_engine.ask(question, k=2)
        assert len(answer.hits) == 2
        assert_verbatim(any_article_engine, answer)
    for empty in ["", "   \n\t "]:
        with pytest.raises(QuestionError):
            any_article_engine.ask(empty)


def test_incremental_change_add_delete_duplicate(tmp_path: Path, make_any_engine: Callable[..., Engine]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.txt").write_text(CATS)
    (docs / "trains.md").write_text(TRAINS)
    engine = make_any_engine()
    first = engine.add([docs])
    assert len(first.added) == 2 and first.passages_embedded == 2

    again = engine.add([docs])
    assert again.passages_embedded == 0 and len(again.unchanged) == 2 and not again.added

    (docs / "cats.txt").write_text(CATS + " Kittens play a lot.")
    (docs / "budget.txt").write_text(BUDGET)
    (docs / "copy of budget.txt").write_text(BUDGET)
    (docs / "trains.md").unlink()
    changed = engine.add([docs])
    assert [Path(p).name for p in changed.updated] == ["cats.txt"]
    assert sorted(Path(p).name for p in changed.added) == ["budget.txt", "copy of budget.txt"]
    assert [Path(p).name for p in changed.removed] == ["trains.md"]
    assert changed.passages_embedded == 2, "only the changed file and one copy of the duplicate are embedded"
    assert [(Path(a).name, Path(b).name) for a, b in changed.duplicates] == [("copy of budget.txt", "budget.txt")]

    fresh = make_any_engine()  # what was saved, read back by another process
    names = {d.name: d for d in fresh.documents()}
    assert set(names) == {"cats.txt", "budget.txt", "copy of budget.txt"}
    assert names["copy of budget.txt"].duplicate_of == str(docs / "budget.txt")
    answer = fresh.ask("How much was the council budget?", k=1)
    assert answer.hits[0].passage.source == str(docs / "budget.txt")
    assert "Kittens" in fresh.ask("kittens", k=1).hits[0].passage.text
    assert all("train" not in h.passage.text for h in fresh.ask("night train tickets", k=3).hits)
    assert_verbatim(fresh, answer)


def test_all_formats_end_to_end(tmp_path: Path, make_any_engine: Callable[..., Engine]) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "page.html").write_text("<h1>Harbour</h1><p>The harbour master inspects boats every Monday.</p>")
    (docs / "report.pdf").write_bytes(
        make_pdf(["Cover page of the report.", "Glaciers retreated 30 metres last year."])
    )
    make_docx(docs / "memo.docx", [("h1", "Memo"), ("p", "The bakery opens at seven in the morning.")])
    (docs / "notes.md").write_text("# Notes\n\nVolcanoes erupt when pressure builds up.")
    engine = make_any_engine()
    report = engine.add([docs])
    assert len(report.added) == 4 and not report.problems
    glacier = engine.ask("How far did the glaciers retreat?", k=1).hits[0]
    assert glacier.passage.source.endswith("report.pdf") and glacier.passage.page == 2
    bakery = engine.ask("When does the bakery open?", k=1).hits[0]
    assert bakery.passage.source.endswith("memo.docx") and bakery.passage.heading == "Memo"
    for question in ["harbour master", "volcano pressure", "glaciers", "bakery"]:
        assert_verbatim(engine, engine.ask(question, k=4))
    # extracted texts are kept in the index, so citations can be checked later
    assert all(engine.store.read_text(c.key) for c in engine.snapshot.contents) and len(engine.snapshot.contents) == 4


def indexed_cats(tmp_path: Path, make_engine: Callable[..., Engine]) -> tuple[Path, Engine]:
    """A docs folder holding cats.txt, and an engine that has indexed it."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "cats.txt").write_text(CATS)
    engine = make_engine()
    engine.add([docs])
    return docs, engine


def test_a_bad_file_does_not_stop_the_others_and_leaves_the_index(
    tmp_path: Path, make_any_engine: Callable[..., Engine]
) -> None:
    docs, engine = indexed_cats(tmp_path, make_any_engine)
    generation = engine.snapshot.generation
    (docs / "empty.txt").write_text("")
    (docs / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    only_bad = engine.add([docs / "empty.txt", docs / "binary.txt"])
    assert len(only_bad.problems) == 2 and make_any_engine().snapshot.generation == generation
    (docs / "trains.txt").write_text(TRAINS)
    mixed = engine.add([docs])
    assert [Path(p).name for p in mixed.added] == ["trains.txt"] and len(mixed.problems) == 2
    assert {d.name for d in make_any_engine().documents()} == {"cats.txt", "trains.txt"}


def test_a_failed_save_keeps_the_previous_index(
    tmp_path: Path, make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, engine = indexed_cats(tmp_path, make_engine)
    (docs / "trains.txt").write_text(TRAINS)

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("qa.dense.DenseIndex.save", crash)
    with pytest.raises(OSError):
        engine.add([docs])
    monkeypatch.undo()
    survivor = make_engine()
    assert {d.name for d in survivor.documents()} == {"cats.txt"}
    assert survivor.ask("cats", k=1).hits[0].passage.text == CATS
    assert make_engine().add([docs]).added == [str(docs / "trains.txt")]


def test_damage_and_other_format_versions_are_detected(tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    (tmp_path / "cats.txt").write_text(CATS)
    engine = make_engine()
    engine.add([tmp_path / "cats.txt"])
    folder = tmp_path / "index" / str(engine.store.current())
    damaged = folder / "embeddings.npy"
    backup = damaged.read_bytes()
    damaged.write_bytes(backup[:-7])
    with pytest.raises(IndexDamagedError, match=r"embeddings\.npy"):
        make_engine().ask("cats")
    assert "python -m qa index --rebuild" in make_engine().rebuild_command()
    assert "cats.txt" in make_engine().rebuild_command()
    damaged.write_bytes(backup)
    config = json.loads((folder / "config.json").read_text())
    config["format_version"] = 999
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(IndexDamagedError, match="format version 999"):
        make_engine().ask("cats")
    rebuilt = make_engine().add([tmp_path / "cats.txt"], rebuild=True)
    assert rebuilt.added and make_engine().ask("cats", k=1).hits[0].passage.text == CATS


def test_a_second_writer_is_refused_clearly(tmp_path: Path, make_any_engine: Callable[..., Engine]) -> None:
    (tmp_path / "cats.txt").write_text(CATS)
    engine = make_any_engine()
    with engine.store.lock(), pytest.raises(IndexBusyError, match="another process"):
        make_any_engine().add([tmp_path / "cats.txt"])


def test_remove_a_document(tmp_path: Path, make_any_engine: Callable[..., Engine]) -> None:
    (tmp_path / "cats.txt").write_text(CATS)
    (tmp_path / "trains.txt").write_text(TRAINS)
    engine = make_any_engine()
    engine.add([tmp_path])
    engine.remove(str(tmp_path / "trains.txt"))
    assert [d.name for d in engine.documents()] == ["cats.txt"]
    assert (tmp_path / "trains.txt").exists(), "only uploaded copies are deleted"
    with pytest.raises(DocumentError):
        engine.remove(str(tmp_path / "nope.txt"))


def test_store_keeps_one_generation_and_only_live_texts(tmp_path: Path, make_engine: Callable[..., Engine]) -> None:
    doc = tmp_path / "doc.txt"
    shutil.copy(ARTICLE, doc)
    engine = make_engine()
    engine.add([doc])
    doc.write_text(CATS)
    engine.add([doc])
    store = Store(tmp_path / "index")
    assert len(list(store.root.glob("gen-*"))) == 1
    assert len(list(store.texts_dir.glob("*.txt"))) == 1
    assert os.path.exists(store.root / "CURRENT")


def test_row_file_reads_the_rows_asked_for(tmp_path: Path) -> None:
    import numpy as np

    from qa.rowfile import RowFile

    matrix = np.random.default_rng(0).normal(size=(500, 7)).astype(np.float16)
    np.save(tmp_path / "m.npy", matrix)
    rows = RowFile(tmp_path / "m.npy")
    picks = np.array([3, 4, 5, 499, 0, 4, 250, 251])
    assert rows.shape == (500, 7) and np.array_equal(rows[picks], matrix[picks])
    assert rows[np.zeros(0, dtype=np.int64)].shape == (0, 7)
    with pytest.raises(IndexError):
        rows[np.array([500])]


def test_large_collections_read_vectors_from_disk(
    tmp_path: Path, make_engine: Callable[..., Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.rowfile import RowFile

    shutil.copy(ARTICLE, tmp_path / "article.txt")
    make_engine().add([tmp_path / "article.txt"])
    monkeypatch.setattr("qa.stores.files.IN_MEMORY_UP_TO", 10)
    engine = make_engine()
    assert isinstance(engine.snapshot.embeddings, RowFile)
    answer = engine.ask("Were residential care homes targeted?", k=3)
    assert "Residential care homes" in answer.hits[0].passage.text
    assert_verbatim(engine, answer)
    (tmp_path / "more.txt").write_text(CATS)
    assert make_engine().add([tmp_path / "more.txt"]).passages_embedded == 1


def test_a_question_naming_a_document_finds_it_by_its_file_name(
    tmp_path: Path, make_any_engine: Callable[..., Engine]
) -> None:
    # two package manuals saying the same; only the file's name says which package it is (BM25 reads the name,
    # the passage shown stays the document's own text)
    texts = {
        "alltt.txt": "The frame key draws a rule around the listing. Its width is set by the framerule key.",
        "moreverb.txt": "The frame key draws a rule around the listing. Its width is given by the framerule key.",
    }
    engine = _engine_over(tmp_path / "docs", texts, make_any_engine)
    answer = engine.ask("How do I draw a frame around a listing with moreverb?", k=2)
    assert Path(answer.hits[0].passage.source).name == "moreverb.txt"
    assert {Path(h.passage.source).name: h.passage.text for h in answer.hits} == texts
    assert_verbatim(engine, answer)
    answer = engine.ask("How do I draw a frame around a listing with alltt?", k=2)
    assert Path(answer.hits[0].passage.source).name == "alltt.txt"


def test_the_document_a_question_names_is_preferred_over_one_that_matches_its_words_better(
    tmp_path: Path, make_any_engine: Callable[..., Engine]
) -> None:
    # as realpdf_dev's question 006 (column balancing): asmeconf's passage matches a little better than ieeepes's
    docs = tmp_path / "docs"
    texts = {
        "asmeconf.txt": "With dvips, US letter output is set by the option -t letter.",
        "ieeepes.txt": "With dvips, US letter output is chosen by giving the option -t letter on its command line.",
        "usrguide.txt": "The paper size options of the standard classes are a4paper and letterpaper.",
    }
    engine = _engine_over(docs, texts, make_any_engine)
    plain = engine.ask("How do I get dvips to produce US letter output?", k=3)
    assert Path(plain.hits[0].passage.source).name == "asmeconf.txt" and not plain.preferred
    answer = engine.ask("How do I get dvips to produce US letter output with the IEEE PES class?", k=3)
    assert Path(answer.hits[0].passage.source).name == "ieeepes.txt"
    assert [Path(p).name for p in answer.preferred] == ["ieeepes.txt"] and answer.named
    assert_verbatim(engine, answer)
    only = [str(docs / "asmeconf.txt")]
    within = engine.ask("How do I get dvips to produce US letter output with ieeepes?", documents=only)
    assert not within.preferred  # a document outside the search is not named


def _engine_over(docs: Path, texts: dict[str, str], make_any_engine: Callable[..., Engine]) -> Engine:
    """An engine over a folder of small text files, one per name, each ending in a newline."""
    docs.mkdir()
    for name, text in texts.items():
        (docs / name).write_text(text + "\n")
    engine = make_any_engine()
    engine.add([docs])
    return engine


def test_a_paragraph_a_document_repeats_is_quoted_once(tmp_path: Path, make_any_engine: Callable[..., Engine]) -> None:
    # as microtype's manual, which sets one paragraph four times to show its settings: three of the five passages
    # shown were that paragraph
    shown = (
        "Font expansion uses a wider or narrower variant of a font to make the spacing between words more even. "
        "A font in a loose line is replaced by a wider variant, so that the spaces between its words shrink; in a "
        "tight line a narrower variant lets the words stand further apart."
    )
    others = [
        "Protrusion moves characters such as hyphens and full stops a little into the margin, so that the edge of "
        "the text block looks straight to the eye. The amounts are set for each character in the font's settings.",
        "Tracking adds or removes a small amount of space between all the letters of a word. It is used for small "
        "capitals and for text set in capital letters, where the letters look too close together otherwise.",
        "Kerning adjusts the space between two particular letters, such as a capital A next to a capital V. The "
        "font's own kerning pairs are used, and additional ones can be declared for a font by its name.",
        "Spacing adjusts the width of the space that follows punctuation such as full stops and commas. It is "
        "known from French typesetting, where a thin space stands before colons, semicolons and question marks.",
    ]
    paragraphs = [shown, others[0], shown, others[1], shown, others[2], shown, others[3]]
    texts = {"manual.txt": "\n\n".join(paragraphs), "notes.txt": shown}
    engine = _engine_over(tmp_path / "docs", texts, make_any_engine)
    answer = engine.ask("How does font expansion make the spacing between words more even?", k=5)
    quoted = [(Path(h.passage.source).name, h.passage.text) for h in answer.hits]
    assert len(quoted) == 5 and len(set(quoted)) == 5
    assert ("manual.txt", shown) in quoted and ("notes.txt", shown) in quoted  # another document's copy stays
    assert_verbatim(engine, answer)
