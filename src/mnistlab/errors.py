"""The one exception type users see, and the one warning type.

Anything that is the user's to fix (a bad config key, a corrupt file, a missing run) raises
`MnistlabError` with a single sentence naming the problem and the fix. The CLI prints it as one
line on stderr and exits non-zero; everything else is a bug and keeps its traceback.

The sentence is not written here but named: `MnistlabError("config.unknown_key", where=..., ...)` holds
a catalogue key (`mnistlab/i18n/en.py`, `ko.py`) and its values, so the same error reads in any language:
`e.text("ko")` renders it in Korean, `str(e)` in the language it was raised with (`lang=`, English unless
given; `fit(..., lang="ko")` raises in Korean). The CLI and the studio render it in their user's language.
A value may be an `i18n.Message` or another error's `.message`, rendered in the same language.
tests/test_errors.py checks that no code raises an English sentence and that every key exists in both
catalogues with the values its call passes.
"""

from __future__ import annotations

from mnistlab import i18n


class MnistlabError(Exception):
    """A problem with the user's input, config or files, explained in one line: catalogue `key` with `values`."""

    def __init__(self, key: str, /, *, lang: str = "en", **values):
        super().__init__(key)
        self.message = i18n.Message(key, **values)
        self.lang = lang

    @property
    def key(self) -> str:
        return self.message.key

    def text(self, lang: str | None = None) -> str:
        """The sentence in `lang` (default: the language it was raised with)."""
        return self.message.text(lang or self.lang)

    def __str__(self) -> str:
        return self.text()

    def __reduce__(self):
        # Errors cross process boundaries (the studio's prediction workers); subclasses may take other
        # __init__ arguments, so rebuild from the state rather than by calling the class again.
        return _rebuild, (type(self), self.__dict__)


def _rebuild(cls: type[MnistlabError], state: dict) -> MnistlabError:
    error = cls.__new__(cls)
    Exception.__init__(error, state["message"].key)
    error.__dict__.update(state)
    return error


class MnistlabWarning(UserWarning):
    """Something that works but is probably not what the user meant (the CLI prints it as one line)."""
