"""MnistlabError: a catalogue key and its values, read in any language; no error sentence lives in the code.

The source scans read the code with `ast`, so a key behind `"a" if ... else "b"` counts, and a sentence split
over lines or built with an f-string is still found."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from mnistlab.config import Config
from mnistlab.errors import MnistlabError
from mnistlab.i18n import CATALOGUES, Message

SRC = Path(__file__).resolve().parents[1] / "src" / "mnistlab"
# Calls that pick one of two keys pass the values of both (files.py: "the previous {name} is kept" or not).
_SHARED_VALUES = {"files.disk_full_nothing": {"name"}}


def _error_classes(trees) -> set[str]:
    """MnistlabError and every class that derives from it (UnknownRun, DataRefused, ...), by name."""
    names = {"MnistlabError"}
    while True:
        more = {node.name for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)
                and any(isinstance(b, ast.Name) and b.id in names for b in node.bases)} - names
        if not more:
            return names
        names |= more


def _call_nodes():
    """(file, line, callee, call) of every MnistlabError(...), Message(...), t(...) and
    super().__init__(...) (a subclass naming its own key) in src/."""
    trees = {p: ast.parse(p.read_text()) for p in SRC.rglob("*.py")}
    errors = _error_classes(trees)
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in errors | {"Message", "t", "__init__"}:
                    yield path.relative_to(SRC).as_posix(), node.lineno, name, node


def _calls():
    """(file, line, callee, first argument) of the calls above."""
    for f, line, name, node in _call_nodes():
        yield f, line, name, node.args[0]


def _keys(arg) -> list[str] | None:
    """The catalogue keys a first argument names (both sides of a conditional), or None if it is no key."""
    if isinstance(arg, ast.IfExp):
        body, orelse = _keys(arg.body), _keys(arg.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and " " not in arg.value:
        return [arg.value]
    return None


def _sentence(arg) -> bool:
    """An f-string, a text with spaces, or pieces of text joined with + or %."""
    if isinstance(arg, ast.BinOp):
        return _sentence(arg.left) or _sentence(arg.right)
    if isinstance(arg, ast.IfExp):
        return _sentence(arg.body) or _sentence(arg.orelse)
    return isinstance(arg, ast.JoinedStr) or isinstance(arg, ast.Constant) and " " in str(arg.value)


def test_no_error_is_an_english_sentence_in_the_code():
    calls = [(f, line, arg) for f, line, name, arg in _calls() if name not in ("Message", "t")]
    assert len(calls) > 150  # the scan sees the raises (else it would pass seeing nothing)
    assert [(f, line) for f, line, arg in calls if _sentence(arg)] == []


def test_every_key_the_code_names_is_in_every_catalogue():
    """A key spelt wrong fails only when its line runs, often an error path no user has met yet."""
    keys = {k for _, _, name, arg in _calls() for k in _keys(arg) or () if name not in ("t", "__init__") or "." in k}
    assert {"train.steps_too_many", "config.unknown_key_hint", "files.disk_full_nothing", "web.jobs_busy",
            "web.body_timeout", "type.or", "train.run_folder"} <= keys
    for lang, catalogue in CATALOGUES.items():
        assert sorted(keys - catalogue.keys()) == [], lang


def test_an_error_reads_in_the_language_asked_for():
    e = MnistlabError("device.unknown", name="tpu")
    assert str(e) == "device 'tpu' is unknown; use auto, cpu or cuda" == e.text("en")
    assert e.text("ko") == "장치 'tpu'을(를) 모릅니다; auto, cpu, cuda 중 하나를 쓰세요"
    assert e.key == "device.unknown" and e.args == ("device.unknown",)
    korean = MnistlabError("device.unknown", lang="ko", name="tpu")  # as fit(..., lang="ko") raises
    assert str(korean) == e.text("ko") and korean.text("en") == str(e)


def test_quoted_messages_follow_the_reader_language():
    with pytest.raises(MnistlabError) as caught:  # "expected an integer": a Message inside the error
        Config.from_dict({"train": {"epochs": "many"}})
    assert caught.value.text("en") == "train.epochs = 'many': expected an integer"
    assert caught.value.text("ko") == "train.epochs = 'many': 정수이어야 합니다"
    over = [Message("web.over_epochs", epochs=99, limit=50), Message("web.over_train_limit", train_limit=10**6,
                                                                     limit=60_000)]
    e = MnistlabError("web.over_budget", over=over)  # a list of messages: one text, "; " between them
    assert "budget: 99 epochs (the limit is 50); train_limit 1,000,000 (the limit is 60,000 training images);" in str(e)
    assert "한도를 넘었습니다: 99 에폭 (한도 50); train_limit 1,000,000 (한도는 학습 이미지 60,000개);" in e.text("ko")


def test_an_error_crosses_processes_whole():
    from mnistlab.web.guards import BodyTimeout  # its __init__ takes seconds, not a key

    for e in (MnistlabError("train.folder_taken", lang="ko", out="runs/a"), BodyTimeout(2.5)):
        copy = pickle.loads(pickle.dumps(e))
        assert type(copy) is type(e) and str(copy) == str(e) and copy.text("en") == e.text("en")
    assert "2.5 s" in str(BodyTimeout(2.5)) and "2.5초" in BodyTimeout(2.5).text("ko")


def test_every_call_gives_the_values_its_message_needs():
    """A value named differently from its {placeholder} fails only when the error is raised (a KeyError
    instead of the sentence): each call with a literal key passes exactly the message's placeholders."""
    import string

    from mnistlab.i18n import en

    def placeholders(text):
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    checked = 0
    for f, line, name, node in _call_nodes():
        keys = _keys(node.args[0])
        if not keys or any(k.arg is None for k in node.keywords) or not all(k in en.MESSAGES for k in keys):
            continue  # no literal key, or values passed as **dict
        given = {k.arg for k in node.keywords} - {"lang"}
        for key in keys:
            assert placeholders(en.MESSAGES[key]) <= given, f"{f}:{line} {key}"
            if name != "t":  # t() may be given spare values; an error's values are exactly its message's
                assert given <= placeholders(en.MESSAGES[key]) | _SHARED_VALUES.get(key, set()), f"{f}:{line} {key}"
        checked += 1
    assert checked > 200
