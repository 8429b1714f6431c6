"""A GRPO step with TRL whose reward is the ioi-grader service, on CPU, in seconds.

The model is a tiny randomly initialised GPT-2 and the tokenizer is trained on the spot
(nothing is downloaded), so the completions are noise and score 0; what this shows is the
wiring: `ioi_reward` goes into `reward_funcs` unchanged and TRL calls it with the dataset's
columns (`problem_id`, `subtask`) for every completion. With a real model, only the model
and dataset lines change.

    IOI_GRADER_URL=http://127.0.0.1:8000 python examples/grpo_tiny.py OUTPUT_DIR
"""

from __future__ import annotations

import json
import sys

from datasets import Dataset
from tokenizers import Tokenizer, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from trl import GRPOConfig, GRPOTrainer

from ioi_grader.client import ioi_reward

PROMPT = "Implement int sum(int A, int B) for the IOI practice task A + B. Answer with a ```cpp block.\n"


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    corpus = [PROMPT, "```cpp\nint sum(int A, int B) { return A + B; }\n```", "#include \"aplusb.h\"\n"] * 20
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=400, special_tokens=["<unk>", "<pad>", "<eos>"]))
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")


def main(output_dir: str) -> None:
    tokenizer = tiny_tokenizer()
    model = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=256, n_embd=32, n_layer=1, n_head=2,
                                       pad_token_id=tokenizer.pad_token_id, eos_token_id=tokenizer.eos_token_id))
    # One row per subtask, as open-r1/ioi has them: the extra columns reach the reward function.
    rows = [{"prompt": PROMPT, "problem_id": "aplusb", "subtask": subtask} for subtask in ("01-smallAB", "03-full")]
    config = GRPOConfig(
        output_dir=output_dir, max_steps=1, per_device_train_batch_size=4, num_generations=2,
        max_completion_length=24, logging_steps=1, report_to=[], save_strategy="no", use_cpu=True, bf16=False,
        seed=0,
    )
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=[ioi_reward],
                          args=config, train_dataset=Dataset.from_list(rows * 4))
    trainer.train()
    print(json.dumps(trainer.state.log_history))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "grpo-output")
