"""LoRA fine-tuning of the local GLM: data from exported files or iterables, training, evaluation, merge.

    from llms.finetune import TrainSettings, train, read_examples
    state = train("chatglm", local_settings, TrainSettings(), "runs/a", read_examples("pairs.jsonl"))

Nothing here imports qa/ or webapp/: the dataset reaches it as files of the exported
formats or as an iterable of records that the caller provides.
"""

from llms.finetune.data import FORMATS, DataError, Example, examples_from, read_examples
from llms.finetune.settings import TrainSettings
from llms.finetune.trainer import Control, train

__all__ = ["FORMATS", "Control", "DataError", "Example", "TrainSettings", "examples_from", "read_examples", "train"]
