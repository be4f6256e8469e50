"""A learner never meets an idea before a lesson teaches it (issue 16).

`TAUGHT_BY` names the key ideas of the course, each with the lesson that
teaches it and a pattern that finds the idea in a lesson's text (title,
summary, objectives, body, code and questions). A lesson may use an idea only
when the lesson that teaches it is the lesson itself or one of its
prerequisites, directly or through other prerequisites. `dlpath next` never
offers a lesson before its prerequisites are done, so a learner who follows
it from the start meets every idea in its teaching lesson first; the last
test walks that road with the real command to show it.

`PREVIEWS` lists the few places where a lesson deliberately names an idea
ahead of its lesson, to say where it will be taught or why it matters later;
each entry says why that is not a use of the idea. An entry that no longer
matches anything is an error, so the list cannot rot.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import pytest

from dlpath.cli import app

# idea -> (pattern, the lesson that teaches it). Patterns are case-insensitive
# regular expressions unless they start with (?-i).
TAUGHT_BY: dict[str, tuple[str, str]] = {
    # foundations
    "broadcasting": (r"\bbroadcast", "python-for-dl"),
    "pandas DataFrame": (r"\bDataFrame\b", "python-for-dl"),
    "Git commits": (r"\bgit (commit|add|diff|log|switch)\b", "jupyter-and-git"),
    "matrix product": (r"\bmatrix (product|multipl)", "linear-algebra"),
    "dot product": (r"\bdot product", "linear-algebra"),
    "chain rule": (r"\bchain rule\b", "calculus"),
    "partial derivative": (r"\bpartial derivative", "calculus"),
    "autograd": (r"\bautograd\b|requires_grad|\.backward\(\)", "calculus"),
    "Bayes' rule": (r"\bBayes", "probability-statistics"),
    "p-value": (r"\bp-values?\b", "probability-statistics"),
    "standard error": (r"\bstandard error\b|\bconfidence interval", "probability-statistics"),
    "gradient descent": (r"\bgradient descent\b", "gradient-descent"),
    "learning rate": (r"\blearning rates?\b", "gradient-descent"),
    "mini-batch": (r"\bmini-?batch", "gradient-descent"),
    "epoch": (r"\bepochs?\b", "first-network"),
    "mean squared error": (r"\bmean squared error\b|(?-i:\bMSE\b)", "gradient-descent"),
    "train/validation/test splits": (
        r"\b(validation|test|training|train) (set|split|data|fold)s?\b|\bheld-(out|back)\b|\bcross-validation\b",
        "ml-fundamentals",
    ),
    "overfitting and underfitting": (r"\b(over|under)fit", "ml-fundamentals"),
    "imputation": (r"\bimput(e|ed|es|ing|ation)\b", "data-cleaning"),
    "outliers": (r"\boutliers?\b", "data-cleaning"),
    "one-hot encoding": (r"\bone-hot\b", "feature-engineering"),
    "standardization": (r"\bstandardi[sz]", "scaling-normalization"),
    "min-max scaling": (r"\bmin-max\b", "scaling-normalization"),
    "k-means": (r"\bk-means\b", "unsupervised-learning"),
    "PCA": (r"(?-i:\bPCA\b)|\bprincipal component", "unsupervised-learning"),
    # basics
    "perceptron": (r"\bperceptrons?\b", "neurons-and-perceptron"),
    "linear separability": (r"\blinear(ly)? separab", "neurons-and-perceptron"),
    "hidden layer": (r"\bhidden layers?\b", "neurons-and-perceptron"),
    "ReLU": (r"\bReLUs?\b", "activation-functions"),
    "sigmoid": (r"\bsigmoids?\b", "activation-functions"),
    "tanh": (r"\btanh\b", "activation-functions"),
    "softmax": (r"\bsoftmax\b", "activation-functions"),
    "backpropagation": (r"\bbackprop", "forward-and-backprop"),
    "cross-entropy": (r"\bcross-entropy\b|CrossEntropyLoss|cross_entropy", "loss-functions"),
    "logits": (r"\blogits?\b|BCEWithLogits", "loss-functions"),
    "KL divergence": (r"(?-i:\bKL\b)|Kullback", "loss-functions"),
    "define-by-run graphs": (r"\bdefine-by-run\b|\bdynamic graph", "frameworks"),
    "Adam": (r"(?-i:\bAdam\b)", "multilayer-perceptron"),
    "evaluation mode": (r"\.eval\(\)", "multilayer-perceptron"),
    "Dataset and DataLoader": (r"(?-i:\bDataLoader\b|\bDataset\b)|\bnum_workers\b", "data-loading-checkpoints"),
    "checkpoints": (r"\bcheckpoint|state_dict", "data-loading-checkpoints"),
    "Kaiming and Xavier initialization": (r"\bkaiming|\bxavier|\bglorot|\bHe initiali", "weight-initialization"),
    "batch normalization": (r"\bbatch[- ]norm|BatchNorm", "vanishing-exploding-gradients"),
    "gradient clipping": (r"\bgradient clipping\b|clip_grad_norm", "vanishing-exploding-gradients"),
    "vanishing gradients": (r"\bvanishing gradient|\bexploding gradient", "vanishing-exploding-gradients"),
    "dropout": (r"\bdropout\b", "regularization"),
    "weight decay": (r"\bweight[ _]decay\b|(?-i:\bAdamW\b)", "regularization"),
    "early stopping": (r"\bearly stopping\b", "regularization"),
    "data augmentation": (r"\baugment", "regularization"),
    "precision and recall": (r"\bprecision-recall\b|\bprecision and recall\b|\brecall \(|(?-i:\bF1\b)", "evaluation-metrics"),
    "confusion matrix": (r"\bconfusion matri", "evaluation-metrics"),
    "ROC-AUC": (r"(?-i:\bROC\b|\bAUC\b)", "evaluation-metrics"),
    "class weights": (r"\bpos_weight\b|\bclass weights?\b|WeightedRandomSampler|\b(over|under)sampl", "class-imbalance"),
    "alert budget": (r"\balert budget", "class-imbalance"),
    "calibration": (r"\bcalibrat", "calibration"),
    "expected calibration error": (r"\bexpected calibration error\b|(?-i:\bECE\b)|\breliability diagram", "calibration"),
    "temperature scaling": (r"\btemperature scaling\b", "calibration"),
    "random search": (r"\b(random|grid) search\b", "hyperparameter-tuning"),
    "experiment tracking": (r"\bTensorBoard\b|\bMLflow\b|\bexperiment tracking\b", "experiment-tracking"),
    # advanced
    "convolution": (r"\bconvolution|Conv2d\b|(?-i:\bCNNs?\b)", "convolutional-networks"),
    "pooling": (r"\bpooling\b|MaxPool", "convolutional-networks"),
    "receptive field": (r"\breceptive field", "convolutional-networks"),
    "residual connections": (r"\bresidual (connection|block|path|stream)|\bskip connection", "residual-connections"),
    "layer normalization": (r"\blayer[- ]norm|LayerNorm", "residual-connections"),
    "momentum": (r"\bmomentum\b", "optimizers-schedules"),
    "RMSprop": (r"\bRMSprop\b", "optimizers-schedules"),
    "learning-rate schedules": (r"\bwarmup\b|lr_scheduler|\bcosine (annealing|schedule|decay)|OneCycleLR|\bone-cycle\b", "optimizers-schedules"),
    "embeddings": (r"\bembedding", "embeddings-tokenization"),
    "tokenization": (r"\btokeni[sz]", "embeddings-tokenization"),
    "byte-pair encoding": (r"(?-i:\bBPE\b)|\bbyte-pair\b|\bWordPiece\b", "embeddings-tokenization"),
    "recurrent networks": (r"\brecurrent\b|(?-i:\bRNNs?\b)|nn\.RNN\b", "recurrent-networks"),
    "LSTM and GRU": (r"(?-i:\bLSTMs?\b|\bGRUs?\b)", "recurrent-networks"),
    "attention": (r"\battention\b", "attention-transformers"),
    "transformers": (r"\btransformers?\b", "attention-transformers"),
    "causal mask": (r"\bcausal mask", "attention-transformers"),
    "BERT and GPT": (r"(?-i:\bBERT\b|\bGPT\b)", "attention-transformers"),
    "autoencoders": (r"\bautoencoders?\b", "autoencoders-vae"),
    "VAE": (r"(?-i:\bVAEs?\b)|\bvariational\b|\breparameteri[sz]ation\b|(?-i:\bELBO\b)", "autoencoders-vae"),
    "GAN": (r"(?-i:\bGANs?\b)|\bgenerative adversarial\b|\bdiscriminator\b", "gans"),
    "fine-tuning": (r"\bfine-tun", "transfer-learning"),
    "transfer learning": (r"\btransfer learning\b|\bfeature extraction\b", "transfer-learning"),
    "active learning": (r"\bactive learning\b|\buncertainty sampling\b", "small-data"),
    "few-shot learning": (r"\bfew-shot\b|\bprototypical\b", "small-data"),
    "ensembles": (r"\bensembles?\b", "small-data"),
    "saliency": (r"\bsaliency\b|\bGrad-CAM\b|\bIntegrated Gradients\b", "interpretability"),
    "SHAP and LIME": (r"(?-i:\bSHAP\b|\bLIME\b)", "interpretability"),
    "rule extraction": (r"\brule extraction\b|\bsurrogate tree", "interpretability"),
    "fairness criteria": (r"\bdemographic parity\b|\bequal(ized)? (opportunity|odds)\b", "fairness-ethics"),
    "differential privacy": (r"\bdifferential privacy\b|\bfederated learning\b", "fairness-ethics"),
    "model cards": (r"\bmodel cards?\b|\bdatasheets? for datasets\b", "fairness-ethics"),
    "pruning": (r"\bprun(e|ed|es|ing)\b", "model-compression"),
    "quantization": (r"\bquanti[sz]", "model-compression"),
    "distillation": (r"\bdistill", "model-compression"),
    "TPUs": (r"(?-i:\bTPUs?\b)", "cloud-accelerators"),
    "mixed precision": (r"\bmixed precision\b|\bautocast\b|GradScaler|\bbfloat16\b", "mixed-precision-gpus"),
    "CUDA kernels": (r"\bCUDA kernels?\b|__global__|\bwarps?\b|\bthread blocks?\b", "cuda-programming"),
    "coalesced memory access": (r"\bcoalesc|\bsyncthreads\b", "gpu-memory-and-reductions"),
    "occupancy": (r"\boccupancy\b", "fast-kernels"),
    "data parallelism": (r"DistributedDataParallel|(?-i:\bDDP\b)|\btorchrun\b|\ball-reduce\b|\bdata parallel", "distributed-training"),
    # specialization
    "IoU": (r"(?-i:\bIoU\b)|\bintersection over union\b", "computer-vision"),
    "non-maximum suppression": (r"\bnon-maximum suppression\b|(?-i:\bNMS\b)", "computer-vision"),
    "mAP": (r"(?-i:\bmAP\b)|\bmean average precision\b", "computer-vision"),
    "Dice and U-Net": (r"(?-i:\bDice\b)|\bU-Net\b", "computer-vision"),
    "BLEU": (r"(?-i:\bBLEU\b|\bchrF\b)", "natural-language-processing"),
    "Q-learning": (r"\bQ-learning\b|(?-i:\bDQN\b)", "reinforcement-learning"),
    "Bellman equation": (r"\bBellman\b", "reinforcement-learning"),
    "policy gradients": (r"\bpolicy[- ]gradient|(?-i:\bREINFORCE\b|\bPPO\b|\bRLHF\b)", "reinforcement-learning"),
    "reward hacking": (r"\breward hacking\b", "reinforcement-learning"),
    "torch.export": (r"torch\.export\b", "deploying-models"),
    "ablations": (r"\bablations?\b", "research-papers-open-source"),
    "pull requests": (r"\bpull requests?\b", "research-papers-open-source"),
    "self-supervised learning": (r"\bself-supervis", "unsupervised-learning"),
    "contrastive learning": (r"\bcontrastive\b", "future-directions"),
    "meta-learning": (r"\bmeta-(learn|train)|(?-i:\bMAML\b)|\bReptile\b", "future-directions"),
    "diffusion models": (r"\bdiffusion models?\b|(?-i:\bDDPM\b)", "diffusion-models"),
    "LoRA": (r"(?-i:\bLoRA\b)|\blow-rank adaptation\b", "llm-practice"),
    "population stability index": (r"\bpopulation stability index\b|(?-i:\bPSI\b)", "distribution-shift"),
    "leaderboard overfitting": (r"\bleaderboard overfitting\b|\bpublic leaderboard\b", "kaggle-competitions"),
    "neural architecture search": (r"\bneural architecture search\b|(?-i:\bNAS\b)", "future-directions"),
}

# (lesson, idea) -> why this mention is not a use of the idea before it is taught.
PREVIEWS: dict[tuple[str, str], str] = {
    ("distribution-shift", "momentum"): "sets batch norm's own `momentum` attribute (its running-average factor), "
                                         "not the optimizer's momentum",
    # the first lesson trains a network top-down, naming each piece and the lesson that explains it
    ("first-network", "autograd"): "calls loss.backward() as a given line; calculus explains what it computes",
    ("first-network", "gradient descent"): "names optimizer.step() as a step of it and points to its lesson",
    ("first-network", "learning rate"): "names lr=0.1 and points to the gradient-descent lesson",
    ("first-network", "ReLU"): "uses nn.ReLU as a given layer and points to the activation-functions lesson",
    ("first-network", "backpropagation"): "names the lesson that explains loss.backward()",
    ("first-network", "cross-entropy"): "uses nn.CrossEntropyLoss as a given line and points to the loss-functions lesson",
    ("calculus", "gradient descent"): "announces the next lesson by name; nothing here uses it",
    ("calculus", "backpropagation"): "names the algorithm the chain rule leads to; forward-and-backprop teaches it",
    ("ml-fundamentals", "self-supervised learning"): "lists it among the kinds of learning 'you will meet later'",
    ("feature-engineering", "embeddings"): "offers embeddings as an encoding and points to the advanced lesson that builds them",
    ("scaling-normalization", "batch normalization"): "says in which later lesson normalization inside networks is taught",
    ("scaling-normalization", "layer normalization"): "says in which later lesson normalization inside networks is taught",
    ("unsupervised-learning", "autoencoders"): "its 'road ahead' section previews how autoencoders extend PCA",
    ("multilayer-perceptron", "batch normalization"): "names layers that model.eval() switches, ahead of their lessons",
    ("multilayer-perceptron", "dropout"): "names layers that model.eval() switches, ahead of their lessons",
    ("data-loading-checkpoints", "early stopping"): "points to the regularization lesson, which keeps the best checkpoint",
    ("vanishing-exploding-gradients", "residual connections"): "lists them as a remedy 'met in the advanced stage'",
    ("vanishing-exploding-gradients", "layer normalization"): "contrasts batch normalization with a normalization taught later",
    ("vanishing-exploding-gradients", "recurrent networks"): "names where explosions are common; the recurrent lesson returns to it",
    ("overfitting-underfitting", "dropout"): "lists remedies of the next lesson, regularization",
    ("overfitting-underfitting", "data augmentation"): "lists remedies of the next lesson, regularization",
    ("class-imbalance", "calibration"): "points to the next lesson, calibration, to repair inflated scores",
    ("autoencoders-vae", "GAN"): "contrasts VAEs with GANs, the next lesson",
    ("interpretability", "attention"): "a look ahead at attention maps, for learners who take the attention lesson later",
    ("interpretability", "transformers"): "a look ahead at attention maps, for learners who take the attention lesson later",
    ("small-data", "embeddings"): "defines the word in place (the vector a pretrained network maps an example to); "
                                  "the embeddings lesson (language track) builds token embeddings",
    ("computer-vision", "embeddings"): "defines a face embedding in place (a vector where photos of one person lie "
                                       "close); the embeddings lesson (language track) builds token embeddings",
    ("computer-vision", "transformers"): "names vision transformers among the backbones; the attention lesson (NLP track) builds one",
    ("finance-ai", "transformers"): "names transformers among sequence models; the attention lesson is optional on this track",
    ("model-compression", "calibration"): "quantization's calibration (choosing scales from sample data), another idea, explained there",
    ("gans", "diffusion models"): "says diffusion models have overtaken GANs; diffusion-models, which follows, teaches them",
    ("future-directions", "diffusion models"): "lists them among the directions of the field; diffusion-models teaches them",
    ("natural-language-processing", "LoRA"): "names it among fine-tuning options; llm-practice, which follows, builds one",
    ("future-directions", "LoRA"): "lists efficient fine-tuning among the directions of the field; llm-practice builds it",
}


# ---------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def curriculum() -> Any:
    from dlpath.course.loading import load_curriculum

    return load_curriculum(None, use_cache=False)


def _text(curriculum: Any, lesson: Any) -> str:
    parts = [lesson.title, lesson.summary, *lesson.objectives, curriculum.body(lesson)]
    for q in lesson.questions:
        parts.append(q.question)
        for c in q.choices:
            parts += [c.text, c.why or ""]
    return "\n".join(parts)


PATTERNS = {idea: re.compile(raw, re.IGNORECASE) for idea, (raw, _) in TAUGHT_BY.items()}


def _closures(curriculum: Any) -> dict[str, set[str]]:
    by_id = {lesson.id: lesson for lesson in curriculum.lessons}

    @cache
    def closure(lid: str) -> frozenset[str]:
        out = {lid}
        for p in by_id[lid].prerequisites:
            out |= closure(p)
        return frozenset(out)

    return {lid: set(closure(lid)) for lid in by_id}


@pytest.fixture(scope="module")
def uses(curriculum: Any) -> dict[str, dict[str, str]]:
    return _uses(curriculum)


def _uses(curriculum: Any) -> dict[str, dict[str, str]]:
    """{lesson id: {idea: the first matching text}} for every idea a lesson's text names."""
    out: dict[str, dict[str, str]] = {}
    for lesson in curriculum.lessons:
        text = _text(curriculum, lesson)
        found = {}
        for idea, pattern in PATTERNS.items():
            m = pattern.search(text)
            if m:
                end = text.find("\n", m.end())
                line = text[text.rfind("\n", 0, m.start()) + 1: end if end >= 0 else None]
                found[idea] = line.strip()
        out[lesson.id] = found
    return out


# ---------------------------------------------------------------- tests


def test_every_idea_is_taught_by_a_lesson_that_names_it(curriculum, uses):
    ids = {lesson.id for lesson in curriculum.lessons}
    problems = []
    for idea, (_, teacher) in TAUGHT_BY.items():
        if teacher not in ids:
            problems.append(f"{idea!r}: its lesson {teacher!r} does not exist")
        elif idea not in uses[teacher]:
            problems.append(f"{idea!r}: its lesson {teacher!r} never names it")
    assert problems == []


def test_no_lesson_uses_an_idea_before_it_is_taught(curriculum, uses):
    closures = _closures(curriculum)
    problems = []
    for lid, found in uses.items():
        for idea, line in found.items():
            teacher = TAUGHT_BY[idea][1]
            if teacher in closures.get(lid, set()) or (lid, idea) in PREVIEWS or teacher not in closures:
                continue
            problems.append(f"{lid}: uses {idea!r}, taught by {teacher!r}, "
                            f"which is not among its prerequisites: {line[:100]!r}")
    if problems:
        pytest.fail(f"{len(problems)} problem(s):\n" + "\n".join(problems), pytrace=False)


def test_every_preview_is_still_a_preview(curriculum, uses):
    closures = _closures(curriculum)
    stale = []
    for (lid, idea), why in PREVIEWS.items():
        assert why.strip(), (lid, idea)
        if idea not in uses.get(lid, {}):
            stale.append(f"{lid}: no longer names {idea!r}")
        elif TAUGHT_BY[idea][1] in closures[lid]:
            stale.append(f"{lid}: {idea!r} is now taught before it; drop the preview")
    assert stale == []


def test_a_learner_following_next_from_the_start_meets_each_idea_in_its_lesson_first(
    runner, monkeypatch, curriculum, uses
):
    """Walk the road with the real `dlpath next` (no GPU, no track), finishing each lesson it offers."""
    monkeypatch.setenv("DLPATH_FAKE_GPU", "none")
    seen: list[str] = []
    while True:
        result = runner.invoke(app, ["next", "--json"])
        assert result.exit_code == 0, result.output
        lesson = json.loads(result.output)["lesson"]
        if lesson is None:
            break
        lid = lesson["id"]
        assert lid not in seen, f"next offered {lid} twice"
        early = [
            f"{idea} (taught by {TAUGHT_BY[idea][1]})"
            for idea in uses[lid]
            if TAUGHT_BY[idea][1] not in seen and TAUGHT_BY[idea][1] != lid and (lid, idea) not in PREVIEWS
        ]
        assert early == [], f"step {len(seen) + 1}: {lid} uses ideas not taught yet: {early}"
        seen.append(lid)
        assert runner.invoke(app, ["skip", lid]).exit_code == 0
    cuda_only = {lesson.id for lesson in curriculum.lessons if lesson.requires.cuda}
    everything = {lesson.id for lesson in curriculum.lessons}
    # every lesson a CPU-only learner can take is offered, and none that needs a GPU
    assert set(seen) == everything - cuda_only - _blocked_by(curriculum, cuda_only)


def _blocked_by(curriculum: Any, unreachable: set[str]) -> set[str]:
    """Lessons that need, directly or not, one of `unreachable`."""
    closures = _closures(curriculum)
    return {lid for lid, c in closures.items() if (c - {lid}) & unreachable}


def test_no_lesson_needs_a_gpu_lesson_unless_it_needs_a_gpu_itself(curriculum):
    """A CPU-only learner can reach every lesson that runs on a CPU (issue 16, item 16)."""
    cuda_only = {lesson.id for lesson in curriculum.lessons if lesson.requires.cuda}
    blocked = _blocked_by(curriculum, cuda_only) - cuda_only
    assert blocked == set()
