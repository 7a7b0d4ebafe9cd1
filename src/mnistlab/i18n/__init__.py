"""Messages in the learner's language: one catalogue per language (`en.py`, `ko.py`), one lookup.

`t(key, lang, **values)` formats the catalogue string `key` of `lang` with `str.format`. The language is
always passed in by the caller (a CLI flag, the studio page); `default_lang()` only reads LANG/LC_ALL for
the CLI's default, so library code never depends on global state. A `Message` is a key and its values
rendered later, in whatever language the reader has; a value that is itself a `Message` (or a list of them)
is rendered in the same language, so a message may quote another one. The Korean catalogue uses the words of
the classic Korean notes: 필터, 커널 사이즈, 스트라이드, 패딩, 활성화 함수, 에폭, 배치, 셔플, ...
"""

from __future__ import annotations

import os

from mnistlab.i18n import en, ko

CATALOGUES: dict[str, dict[str, str]] = {"en": en.MESSAGES, "ko": ko.MESSAGES}
LANGS = tuple(CATALOGUES)


def t(key: str, lang: str = "en", /, **values) -> str:
    """The message `key` in `lang` (English when that language lacks it), with `values` filled in."""
    text = CATALOGUES.get(lang, en.MESSAGES).get(key) or en.MESSAGES[key]
    return text.format(**{k: _render(v, lang) for k, v in values.items()}) if values else text


class Message:
    """The catalogue message `key` with its `values`, not yet in any language: `text(lang)` renders it."""

    def __init__(self, key: str, /, **values):
        self.key, self.values = key, values

    def text(self, lang: str = "en") -> str:
        return t(self.key, lang, **self.values)

    def __repr__(self) -> str:
        return f"Message({self.key!r}, **{self.values!r})"


def either(choices):
    """"a or b or c" in any language: the `choices` joined by the catalogue's "or" (one choice: itself)."""
    first, *rest = choices
    for other in rest:
        first = Message("type.or", a=first, b=other)
    return first


def _render(value, lang: str):
    """A `Message` value in `lang`; a list of them as one text, "; " between them; any other value as is."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, list) and value and all(isinstance(v, Message) for v in value):
        return "; ".join(v.text(lang) for v in value)
    return value


def default_lang(environ=None) -> str:
    """'ko' when LC_ALL (else LANG) names Korean, e.g. ko_KR.UTF-8; otherwise 'en'."""
    environ = os.environ if environ is None else environ
    value = environ.get("LC_ALL") or environ.get("LANG") or ""
    code = value.split(".")[0].split("_")[0].lower()
    return code if code in CATALOGUES else "en"


__all__ = ["CATALOGUES", "LANGS", "Message", "default_lang", "either", "t"]
