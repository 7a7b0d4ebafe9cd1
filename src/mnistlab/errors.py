"""The one exception type users see, and the one warning type.

Anything that is the user's to fix (a bad config key, a corrupt file, a missing run) raises
`MnistlabError` with a single sentence naming the problem and the fix. The CLI prints it as one
line on stderr and exits non-zero; everything else is a bug and keeps its traceback.
"""


class MnistlabError(Exception):
    """A problem with the user's input, config or files, explained in one line."""


class MnistlabWarning(UserWarning):
    """Something that works but is probably not what the user meant (the CLI prints it as one line)."""
