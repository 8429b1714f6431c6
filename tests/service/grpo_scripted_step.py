"""One TRL GRPOTrainer step per service URL, with `cf_reward` in `reward_funcs` unchanged, on
completions whose content is known in advance.

A random tiny model writes noise, which would only ever test the no-code reward. To pin
open-r1's `cf_code_reward` semantics on a mixed batch inside a real trainer step, the policy
here is a test double: a tiny GPT-2 whose `generate` returns, for each prompt, the completion
named by the prompt's `[case: NAME]` tag (tokenized, then EOS). Everything after generation
(decoding, calling the reward function with the dataset columns, None handling, advantages,
the loss and the optimizer step) is TRL's own.

    python grpo_scripted_step.py CASES_JSON OUTPUT_DIR URL [URL ...]

CASES_JSON maps a case name to {"completion": text, "id": problem id, "language": column}.
Prints, for each URL, one line `grpo-step-result JSON`: the completions and the rewards TRL received (NaN for
None, as TRL stores them), and the step's logged metrics.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys

import torch
from datasets import Dataset
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from trl import GRPOConfig, GRPOTrainer

from ioi_grader.client import cf_reward

RESULT = "grpo-step-result"  # marks our lines among TRL's own prints
CASE_TAG = re.compile(r"\[case: (\w+)\]")


def tokenizer_for(texts: list[str]) -> PreTrainedTokenizerFast:
    # Byte-level, so that any completion decodes back to exactly its text.
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.train_from_iterator(texts * 5, trainers.BpeTrainer(
        vocab_size=600, special_tokens=["<unk>", "<pad>", "<eos>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="<unk>", pad_token="<pad>",
                                   eos_token="<eos>")


class ScriptedPolicy(GPT2LMHeadModel):
    """A tiny GPT-2 (trained by the step like any policy) whose sampling is replaced by the
    scripted completion of each prompt's case."""

    scripted: dict[str, list[int]] = {}
    tokenizer: PreTrainedTokenizerFast | None = None

    @torch.no_grad()
    def generate(self, input_ids=None, attention_mask=None, **_: object) -> torch.Tensor:
        prompts = self.tokenizer.batch_decode(input_ids, skip_special_tokens=True)
        completions = [self.scripted[CASE_TAG.search(prompt).group(1)] for prompt in prompts]
        width = max(len(tokens) for tokens in completions)
        padded = [tokens + [self.tokenizer.pad_token_id] * (width - len(tokens)) for tokens in completions]
        return torch.cat([input_ids, torch.tensor(padded, dtype=input_ids.dtype, device=input_ids.device)], dim=1)


def step(cases: dict[str, dict], output_dir: str, url: str) -> dict:
    os.environ["IOI_GRADER_URL"] = url  # cf_reward reads it at call time, as in a training job
    texts = [case["completion"] for case in cases.values()]
    tokenizer = tokenizer_for(texts + [f"Solve {case['id']}. [case: {name}]" for name, case in cases.items()])
    ScriptedPolicy.tokenizer = tokenizer
    ScriptedPolicy.scripted = {name: tokenizer(case["completion"])["input_ids"] + [tokenizer.eos_token_id]
                               for name, case in cases.items()}
    longest = max(len(tokens) for tokens in ScriptedPolicy.scripted.values())
    model = ScriptedPolicy(GPT2Config(vocab_size=len(tokenizer), n_positions=longest + 64, n_embd=32, n_layer=1,
                                      n_head=2, pad_token_id=tokenizer.pad_token_id,
                                      eos_token_id=tokenizer.eos_token_id))
    # verifiable-prompts' columns: `id` and `language` reach the reward function.
    rows = [{"prompt": f"Solve {case['id']}. [case: {name}]", "id": case["id"], "language": case["language"]}
            for name, case in cases.items()]
    generations = 2
    config = GRPOConfig(
        output_dir=output_dir, max_steps=1, per_device_train_batch_size=len(rows) * generations,
        num_generations=generations, max_completion_length=longest, logging_steps=1, report_to=[],
        save_strategy="no", use_cpu=True, bf16=False, seed=0,
    )
    trainer = GRPOTrainer(model=model, processing_class=tokenizer, reward_funcs=[cf_reward], args=config,
                          train_dataset=Dataset.from_list(rows))
    trainer.train()
    rewards = [None if math.isnan(value) else value for value in trainer._logs["rewards"]["cf_reward"]]
    metrics = next(entry for entry in trainer.state.log_history if "rewards/cf_reward/mean" in entry)
    return {"url": url, "completions": list(trainer._logs["completion"]), "rewards": rewards,
            "step": metrics["step"], "mean": metrics["rewards/cf_reward/mean"]}


def main(cases_path: str, output_dir: str, urls: list[str]) -> None:
    with open(cases_path) as file:
        cases = json.load(file)
    for index, url in enumerate(urls):
        print(RESULT, json.dumps(step(cases, os.path.join(output_dir, str(index)), url)), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
