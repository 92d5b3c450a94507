"""The training run: corpus and tokenizer, plan, model, resume, the step loop, checkpoints, metrics, export.

Curriculum progress is where the data stream is (the progress of the rows being read), and it moves
with consumed tokens; the LR, the MTP weight and the bias rate follow the fraction of planned tokens
consumed. Neither depends on the step count, so a resume or a batch-size change keeps them aligned.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from model import CausalLM
from pipelines.dataset.lease import held_by_main_rank
from pipelines.dataset.storage import Folder, join, normalize
from pipelines.errors import InputError
from pipelines.training import checkpoint
from pipelines.training.config import TrainConfig, settings, settings_hash
from pipelines.training.export import card_info, export
from pipelines.training.loading import Corpus, DataError, Loader, ensure_tokens, tokenizer_fingerprint
from pipelines.training.metrics import MetricsLogger, device_peak_flops
from pipelines.training.optim import lr_at, make_optimizer, scheduled
from pipelines.training.plan import Plan, plan_run
from pipelines.training.resume import check_settings, restore, resume_path
from pipelines.training.parallelism import Runtime, build_model, parallelize, setup_runtime
from pipelines.training.step import fast_math, step_record, train_step
from pipelines.training.tokenizer import TokenizerConfig, build, load_tokenizer


def tokenizer_dir(cfg: TrainConfig, rt: Runtime) -> str:
    """The tokenizer folder (path or URI); DATA/tokenizer is trained first (by rank 0, in process) when it is missing."""
    if cfg.tokenizer:
        return normalize(cfg.tokenizer)
    tok_dir = join(cfg.data, "tokenizer")
    if not Folder(tok_dir).is_file("tokenizer.json"):
        if rt.main:
            defaults = TokenizerConfig(data=cfg.data)
            print(f"train: {tok_dir} has no tokenizer; training one first, as `python -m pipelines.tokenizer "
                  f"data={cfg.data}` would (vocab_size={defaults.vocab_size})", flush=True)
            build(cfg.data, tok_dir, defaults.vocab_size, defaults.sample_rows)
        if rt.world > 1:
            dist.barrier()
    return tok_dir


def describe_run(core: CausalLM, rt: Runtime, plan: Plan, grad_accum: int, resume: Any) -> str:
    """The one line a user reads first: model size, devices, precision, and how long the run is."""
    cfg, p = core.cfg, core.num_params()
    return (f"train: {cfg.num_hidden_layers}-layer MoE ({p['total'] / 1e6:.2f}M params, {p['activated'] / 1e6:.2f}M "
            f"active, +{p['mtp'] / 1e6:.2f}M MTP) on {rt.world} x {rt.device.type}"
            f"{' bf16' if rt.amp_dtype else ' fp32'}; {plan.steps} steps x {plan.tokens_per_step:,} tokens "
            f"(corpus {plan.corpus_tokens:,}; grad accum {grad_accum})" + (f"; resumed from {resume}" if resume else ""))


def run(cfg: TrainConfig) -> dict[str, Any]:
    """Train as configured, holding out_dir's lease (rank 0): a second run into it is refused, naming this one."""
    with held_by_main_rank(cfg.out_dir, "train"):
        return _run(cfg)


def _run(cfg: TrainConfig) -> dict[str, Any]:
    """Train as configured; returns a summary (steps, final loss, where things are)."""
    t = cfg.trainer
    out = Folder(normalize(cfg.out_dir))  # local or object storage: every output goes through it
    if out.is_file(""):
        raise InputError(f"out_dir={cfg.out_dir}: a file, not a folder; pick another out_dir")
    rt = setup_runtime(t)
    fast_math(rt)
    torch.manual_seed(cfg.seed)
    # The checkpoints' root: a Path locally, the URI on object storage (pipelines/training/checkpoint.py writes under it).
    ckpt_root: Path | str = Path(out.root) / "checkpoints" if out.is_local else join(out.uri, "checkpoints")
    corpus = Corpus.open(cfg.data)
    tok_dir = tokenizer_dir(cfg, rt)
    tok = load_tokenizer(tok_dir)
    if rt.main:  # the corpus tokenized once (made here, saying so, when the tokenizer job did not)
        ensure_tokens(corpus, tok)
    if rt.world > 1:
        dist.barrier()
    corpus_tokens = ensure_tokens(corpus, tok).tokens
    plan = plan_run(corpus_tokens, t, cfg.data)
    if t.batch_size % (t.micro_batch_size * rt.world):
        raise DataError(f"trainer.batch_size ({t.batch_size}) must be a multiple of micro_batch_size "
                        f"({t.micro_batch_size}) x ranks ({rt.world})")

    model_cfg = build_model(cfg.model, tok)
    bound = settings(cfg, model_cfg, {"manifest": corpus.manifest.config_hash, "tokenizer": tokenizer_fingerprint(tok),
                                      "planned_tokens": plan.planned_tokens})
    resume = resume_path(t, ckpt_root)
    if resume:
        check_settings(resume, bound)  # before any tensor: a refused resume costs nothing
    if rt.main:
        out.write_text("train_config.json", cfg.model_dump_json(indent=1) + "\n")  # the validated config
    core = CausalLM(model_cfg).to(rt.device)
    model = parallelize(core, t, rt)
    optimizer = make_optimizer(model, t, rt)
    loader = Loader(corpus, tok, t.seq_len, t.batch_size, t.micro_batch_size, rt.rank, rt.world, t.cycle,
                    mtp_depth=model_cfg.num_nextn_predict_layers, prefetch=t.prefetch, whole_rows=t.whole_rows,
                    workers=t.loader_workers, pin_memory=rt.device.type == "cuda")

    step, tokens = restore(resume, model, optimizer, loader) if resume else (0, 0)

    logger = MetricsLogger(out.uri, plan.steps, step, enabled=rt.main, tensorboard=t.tensorboard, progress_bar=t.progress_bar)
    if rt.main:
        logger.write(describe_run(core, rt, plan, loader.grad_accum, resume))
    layer_names = core.moe_layer_names()
    peak = t.peak_flops or (device_peak_flops(rt.device) if rt.device.type == "cuda" else None)
    flops_per_token = model_cfg.flops_per_token(t.seq_len, causal=True)
    record: dict[str, Any] = {}
    last_time = time.perf_counter()
    try:
        while step < plan.steps:
            fraction = tokens / plan.planned_tokens
            lr = lr_at(fraction, t)
            mtp_weight = scheduled(t.mtp_weight_schedule, fraction, model_cfg.mtp_loss_weight)
            bias_rate = scheduled(t.bias_rate_schedule, fraction, model_cfg.bias_update_rate)
            try:
                batch = next(loader)
            except StopIteration:
                raise DataError(f"the corpus ran out at step {step + 1} of {plan.steps}; its token count changed "
                                f"since its token files were made (delete {corpus.folder.display('tokens')})") from None
            stats = train_step(model, optimizer, batch, rt, t, lr, mtp_weight, bias_rate)
            step += 1
            tokens += plan.tokens_per_step
            fraction = tokens / plan.planned_tokens
            expected = fraction * plan.planned_tokens / (plan.one_pass * plan.tokens_per_step) if plan.one_pass else 0.0
            if not t.cycle and abs(batch.progress - expected) > t.drift_tolerance:
                raise DataError(f"step {step}: rows at curriculum progress {batch.progress:.3f} arrived after "
                                f"{expected:.3f} of the corpus tokens (tolerance {t.drift_tolerance}); "
                                "the corpus does not match the run")
            now = time.perf_counter()
            dt, last_time = now - last_time, now
            record = step_record(step, tokens, fraction, batch, stats, layer_names, dt, plan.tokens_per_step,
                                 lr=lr, mtp_weight=mtp_weight, bias_rate=bias_rate)
            if peak:
                record["mfu"] = flops_per_token * plan.tokens_per_step / dt / (peak * rt.world)
            logger.log(record)
            if (t.save_every and step % t.save_every == 0) or step == plan.steps:
                state = {"step": step, "tokens": tokens, "data": loader.state_dict(),
                         "settings": bound, "settings_hash": settings_hash(bound),
                         "schedule": {"kind": "warmup_cosine_by_tokens", "fraction": fraction, "lr": lr},
                         "world": rt.world, "metrics": record}
                checkpoint.save(ckpt_root, step, model, optimizer, state, t.keep_last)
                logger.sync()  # object storage: the metrics up to this checkpoint are there for a resume
        card = card_info(cfg, corpus, plan, record, step, tokens) if t.export else None
        exported = export(model, model_cfg, tok, join(out.uri, "export"), rt, card) if t.export else None
    finally:
        loader.close()
        logger.close()
    summary = {"steps": step, "tokens": tokens, "loss": record.get("loss"), "out_dir": out.uri,
               "metrics": join(out.uri, "metrics.jsonl"), "tensorboard": join(out.uri, "tensorboard"),
               "checkpoints": str(ckpt_root), "export": exported}
    if rt.main:
        logger.write(f"train: done; metrics {summary['metrics']}, TensorBoard {summary['tensorboard']}, "
                     f"export {summary['export']}")
    return summary
