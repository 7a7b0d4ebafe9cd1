"""The report's section that works the notes' words through on the run (report/notes.py)."""

from __future__ import annotations

import torch

from mnistlab.data import split_validation
from mnistlab.report import write_report
from mnistlab.report.notes import first_batches


def test_the_report_works_the_notes_through_in_korean(tiny_run, tiny_dataset, tmp_path):
    path = write_report(tiny_run, tmp_path / "r", dataset=tiny_dataset, samples=2, lang="ko")
    html = path.read_text()
    assert '<section id="notes"><h2>노트의 빈칸 채우기</h2>' in html
    assert "<h2>학습된 필터</h2>" in html  # the other section titles follow the language too
    for name in ("notes-padding.png", "notes-conv-step.png", "notes-activation.png"):
        assert (tmp_path / "r" / name).is_file() and name in html
    assert "ceil(1,000 / 64) = 16" in html  # 1,200 training images - 200 held out for validation, batch_size 64
    assert "교차 엔트로피 = -log p(정답)" in html and "셔플" in html
    english = write_report(tiny_run, tmp_path / "e", dataset=tiny_dataset, samples=2).read_text()
    assert "<h2>The notes, worked through</h2>" in english and "cross-entropy = -log p(true)" in english


def test_first_batches_are_the_file_order_and_a_permutation_of_the_same_images(tiny_dataset):
    plain, shuffled = first_batches(tiny_dataset, 200, 64, seed=0)
    (_, labels), _ = split_validation(tiny_dataset.train_images, tiny_dataset.train_labels, 200)
    assert torch.equal(plain, labels[:64])
    assert len(shuffled) == 64 and not torch.equal(plain, shuffled)
    assert torch.equal(first_batches(tiny_dataset, 200, 64, seed=0)[1], shuffled)  # the seed fixes it
