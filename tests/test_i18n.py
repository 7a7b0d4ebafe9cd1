"""i18n: every English message has its Korean one with the same placeholders; Korean pictures have Hangul."""

from __future__ import annotations

import string
import warnings

import pytest
from matplotlib.figure import Figure

from mnistlab.i18n import CATALOGUES, default_lang, t
from mnistlab.i18n.fonts import font_rc, hangul_family
from mnistlab.report.figures import render


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", [lang for lang in CATALOGUES if lang != "en"])
def test_every_english_message_has_a_translation_with_the_same_placeholders(lang):
    en, other = CATALOGUES["en"], CATALOGUES[lang]
    assert sorted(en.keys() - other.keys()) == [], "missing translations"
    assert sorted(other.keys() - en.keys()) == [], "translations of nothing"
    for key, text in en.items():
        assert placeholders(other[key]) == placeholders(text), key
        assert other[key].strip(), key


def test_a_korean_run_is_refused_in_korean(tmp_path, tiny_dataset):
    from conftest import tiny_config

    from mnistlab.errors import MnistlabError
    from mnistlab.train import fit

    with pytest.raises(MnistlabError) as refused:  # 1,000 training images in batches of 64: 16 batches
        fit(tiny_config(steps_per_epoch=99), tmp_path / "r", dataset=tiny_dataset, progress=False, lang="ko")
    assert str(refused.value) == ("train.steps_per_epoch = 99은(는) 학습 이미지로 만들 수 있는 배치 16개(배치 사이즈 "
                                  "64)보다 많습니다; 16 이하로 정하거나, 빼서 모든 배치로 학습하세요")
    with pytest.raises(MnistlabError, match=r"이어서 학습할 것이 없습니다 \(checkpoint.safetensors 없음\); "
                                            r"--resume 대신 새 실행을 시작하세요$"):
        fit(tiny_config(), tmp_path / "empty", dataset=tiny_dataset, resume=True, progress=False, lang="ko")
    with pytest.raises(MnistlabError, match="is more than the 16 batches of 64"):  # English stays the default
        fit(tiny_config(steps_per_epoch=99), tmp_path / "r", dataset=tiny_dataset, progress=False)
    import mnistlab as ml  # the notebook's ml.fit passes its language through

    with pytest.raises(MnistlabError, match=r"^train.steps_per_epoch = 99은\(는\)"):
        ml.fit(tiny_config(steps_per_epoch=99), tiny_dataset, out=tmp_path / "nb", progress=False, lang="ko")


def test_korean_uses_the_notes_terms():
    ko = " ".join(CATALOGUES["ko"].values())
    for term in ("필터", "커널 사이즈", "스트라이드", "패딩", "활성화 함수", "에폭", "배치", "셔플", "시그모이드",
                 "소프트맥스", "교차 엔트로피", "이진 교차 엔트로피", "메트릭"):
        assert term in ko, term


def test_t_formats_and_falls_back_to_english():
    assert t("padding.legend_zero", "ko") == "0 패딩"
    assert t("loss.cross_entropy", "en", p="0.5", loss="0.69") == "cross-entropy = -log p(true) = -log(0.5) = 0.69"
    assert t("padding.legend_zero", "xx") == "zero padding"


def test_the_default_language_comes_from_lc_all_then_lang():
    assert default_lang({"LANG": "ko_KR.UTF-8"}) == "ko"
    assert default_lang({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}) == "en"
    assert default_lang({"LANG": "C.UTF-8"}) == default_lang({}) == "en"


def test_a_korean_title_renders_with_a_font_that_has_hangul():
    from matplotlib import font_manager, rc_context

    family = hangul_family()
    assert family, "no Hangul font: run scripts/install.sh (Debian's fonts-nanum)"
    with rc_context(font_rc("ko")):
        fig = Figure(figsize=(4, 1))
        title = fig.suptitle("커널 사이즈와 스트라이드, 교차 엔트로피")
    font = font_manager.FontProperties(family=[family])
    path = font_manager.findfont(font, fallback_to_default=False)
    from matplotlib.ft2font import FT2Font

    charmap = FT2Font(path).get_charmap()
    assert all(ord(ch) in charmap for ch in title.get_text() if not ch.isascii())
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" is a UserWarning
        render(fig, "ko.png", "")


def test_summary_in_korean_uses_the_notes_terms(capsys):
    from mnistlab.cli import main

    assert main(["summary", "--lang", "ko"]) == 0
    out = capsys.readouterr().out
    for term in ("필터", "커널 사이즈", "스트라이드", "패딩", "활성화 함수", "소프트맥스", "교차 엔트로피", "메트릭"):
        assert term in out, term
    assert main(["summary", "--lang", "en"]) == 0
    assert "how the shape is computed" in capsys.readouterr().out


def test_training_and_evaluation_lines_in_korean():
    from mnistlab.evaluate import format_evaluation
    from mnistlab.train.loop import epoch_line, result_line

    row = {"epoch": 2, "loss": 0.1, "accuracy": 0.97, "val_loss": 0.09, "val_accuracy": 0.98, "learning_rate": 0.01,
           "seconds": 3.0}
    assert epoch_line(row, "ko").startswith("에폭 2: 손실 0.1000 정확도 0.9700 | 검증 손실")
    assert epoch_line(row).startswith("epoch 2: loss 0.1000 accuracy 0.9700 | val_loss")
    result = {"epochs_run": 3, "test_accuracy": 0.99, "test_loss": 0.03, "seconds": 9.0, "target_accuracy": 0.99,
              "target_reached": True, "target_epoch": 2, "target_seconds": 6.0}
    assert "3 에폭" in result_line(result, "val_accuracy", "ko") and "에폭 2" in result_line(result, "val_accuracy", "ko")
    m = {"count": 2, "loss": 0.5, "accuracy": 0.5, "top5_accuracy": 1.0, "f1": 0.3, "confusion_matrix": [[1, 0], [1, 0]],
         "per_class": [{"class": c, "precision": 0.5, "recall": 1.0, "f1": 0.6, "support": 1} for c in "ab"]}
    text = format_evaluation(m, "", "ko")
    assert "정확도" in text and "혼동 행렬" in text


def test_every_studio_string_the_page_asks_for_is_in_the_catalogue():
    """index.html's data-i18n(-title) keys and the scripts' tr("...") keys all have messages (else the page
    would show the bare key)."""
    import re
    from pathlib import Path

    static = Path(__file__).resolve().parents[1] / "src" / "mnistlab" / "web" / "static"
    keys = set(re.findall(r'data-i18n(?:-title)?="([^"]+)"', (static / "index.html").read_text()))
    for script in static.glob("*.js"):
        keys |= set(re.findall(r'\btr\("([^"]+)"', script.read_text()))
    assert len(keys) > 60
    assert sorted(k for k in keys if k not in CATALOGUES["en"]) == []
