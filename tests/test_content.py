"""The SHIPPED curriculum is tested like code (issue 3).

- `dlpath validate` passes on it;
- every lesson has the shape of issue 3: a body of 250 to 1,800 words (code
  included; issue 16 deepened the thinnest lessons past the first limit of
  700) with a `## Try it` exercise, 2-5 resources, 2-4 questions with exactly
  one right choice and a `why` on every wrong one;
- no two lessons share a title; at least 45 lessons, 6 per stage, 5 tracks;
- every coverage item of issues 3 and 16 is found by `dlpath search`;
- hours are honest (1 to 12; python-for-dl alone needs 8-12).
- lessons that need a CUDA GPU say what to do without one.

Each test collects every offending lesson before failing, so one run lists
all that needs fixing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest

from dlpath.cli import app

MIN_WORDS, MAX_WORDS = 250, 1800
MIN_HOURS, MAX_HOURS = 1, 12

# Issue 3, "Coverage": every item is taught by at least one lesson. Each entry is
# (item as the issue names it, search queries); the item is found when one of its
# queries puts, among `dlpath search`'s first five hits, a lesson whose text holds
# every word of that query. Alternatives cover the usual phrasings of one idea.
COVERAGE: list[tuple[str, tuple[str, ...]]] = [
    # foundations
    ("linear algebra", ("linear algebra",)),
    ("vectors", ("vectors",)),
    ("matrices", ("matrices",)),
    ("matrix products", ("matrix product", "matrix multiplication")),
    ("linear maps", ("linear map", "linear transformation")),
    ("derivatives", ("derivative",)),
    ("partial derivatives", ("partial derivative",)),
    ("the chain rule", ("chain rule",)),
    ("gradients", ("gradient",)),
    ("probability distributions", ("probability distribution", "distributions")),
    ("expectation and variance", ("expectation variance", "expected value variance")),
    ("Bayes", ("Bayes",)),
    ("hypothesis testing", ("hypothesis testing", "hypothesis test")),
    ("why evaluation is statistics", ("evaluation statistics",)),
    ("optimization and gradient descent", ("optimization gradient descent",)),
    ("Python for DL", ("Python",)),
    ("NumPy", ("NumPy",)),
    ("pandas", ("pandas",)),
    ("Matplotlib", ("Matplotlib",)),
    ("Jupyter", ("Jupyter",)),
    ("version control with Git", ("version control Git",)),
    ("data cleaning", ("data cleaning", "cleaning data")),
    ("outliers", ("outliers",)),
    ("missing values", ("missing values",)),
    ("noise", ("noise",)),
    ("feature engineering", ("feature engineering",)),
    ("scaling and normalization", ("scaling normalization",)),
    ("supervised vs unsupervised", ("supervised unsupervised",)),
    ("train / validation / test splits", ("train validation test split",)),
    ("cross-validation", ("cross-validation",)),
    ("generalization", ("generalization",)),
    # basics
    ("neurons", ("neuron",)),
    ("layers: input, hidden, output", ("input hidden output layers",)),
    ("weights and biases", ("weights biases",)),
    ("the perceptron", ("perceptron",)),
    ("linear separability", ("linear separability", "linearly separable")),
    ("activation functions", ("activation function",)),
    ("ReLU, sigmoid, tanh", ("ReLU sigmoid tanh",)),
    ("why non-linearity matters", ("non-linearity", "nonlinearity", "non-linear")),
    ("the forward pass", ("forward pass",)),
    ("backpropagation", ("backpropagation",)),
    ("loss functions", ("loss function",)),
    ("MSE", ("MSE", "mean squared error")),
    ("cross-entropy", ("cross-entropy",)),
    ("KL divergence", ("KL divergence", "Kullback-Leibler")),
    ("weight initialization", ("weight initialization", "initialization")),
    ("vanishing and exploding gradients", ("vanishing exploding gradients",)),
    ("gradient clipping", ("gradient clipping",)),
    ("batch normalization", ("batch normalization",)),
    ("frameworks", ("frameworks",)),
    ("PyTorch and its dynamic graphs", ("PyTorch dynamic graph",)),
    ("TensorFlow", ("TensorFlow",)),
    ("Keras", ("Keras",)),
    ("fastai", ("fastai",)),
    ("overfitting", ("overfitting",)),
    ("underfitting", ("underfitting",)),
    ("regularization", ("regularization",)),
    ("L1 and L2", ("L1 L2",)),
    ("dropout", ("dropout",)),
    ("early stopping", ("early stopping",)),
    ("data augmentation", ("data augmentation",)),
    ("evaluation metrics", ("evaluation metrics",)),
    ("accuracy", ("accuracy",)),
    ("precision and recall", ("precision recall",)),
    ("F1", ("F1",)),
    ("ROC-AUC", ("ROC AUC",)),
    ("confusion matrix", ("confusion matrix",)),
    ("R-squared", ("R-squared", "R2", "coefficient of determination")),
    ("accuracy on imbalanced data", ("imbalanced accuracy",)),
    ("hyperparameters", ("hyperparameter",)),
    ("learning rate", ("learning rate",)),
    ("batch size", ("batch size",)),
    ("grid search", ("grid search",)),
    ("random search", ("random search",)),
    ("ignoring outliers", ("ignoring outliers", "outliers mistakes")),
    ("too little data", ("too little data", "little data")),
    ("evaluating on training data", ("evaluating training data",)),
    ("leakage", ("leakage",)),
    # advanced
    ("convolutional networks", ("convolutional",)),
    ("convolution", ("convolution",)),
    ("pooling", ("pooling",)),
    ("spatial hierarchies of features", ("spatial hierarchy features", "hierarchy features")),
    ("recurrent networks", ("recurrent",)),
    ("LSTMs", ("LSTM",)),
    ("sequences and state", ("sequence state",)),
    ("attention", ("attention",)),
    ("transformers", ("transformer",)),
    ("autoencoders", ("autoencoder",)),
    ("variational autoencoders", ("variational autoencoder",)),
    ("generative adversarial networks", ("generative adversarial",)),
    ("SGD", ("SGD", "stochastic gradient descent")),
    ("momentum", ("momentum",)),
    ("RMSprop", ("RMSprop",)),
    ("Adam", ("Adam",)),
    ("learning-rate schedules", ("learning rate schedule",)),
    ("transfer learning", ("transfer learning",)),
    # issue 24 moved BERT fine-tuning from transfer learning to the NLP lesson (no sequence models on the vision road)
    ("pretrained models: VGG, ResNet", ("VGG ResNet",)),
    ("pretrained models: BERT", ("BERT fine-tune",)),
    ("feature extraction vs fine-tuning", ("feature extraction fine-tuning",)),
    ("domain adaptation", ("domain adaptation",)),
    ("task transfer", ("task transfer",)),
    ("learning from small data", ("small data",)),
    ("ensembles", ("ensemble",)),
    ("active learning", ("active learning",)),
    ("few-shot learning", ("few-shot",)),
    ("synthetic data", ("synthetic data",)),
    ("interpretability", ("interpretability",)),
    ("saliency", ("saliency",)),
    ("SHAP", ("SHAP",)),
    ("LIME", ("LIME",)),
    ("attention maps", ("attention map",)),
    ("rule extraction", ("rule extraction",)),
    ("bias and fairness", ("bias fairness",)),
    ("ethics", ("ethics",)),
    ("privacy", ("privacy",)),
    ("accountability", ("accountability",)),
    ("auditing", ("auditing", "audit")),
    ("data parallelism", ("data parallelism", "data parallel")),
    ("multi-GPU training", ("multi-GPU",)),
    ("distributed training", ("distributed training",)),
    ("GPUs", ("GPU",)),
    ("mixed precision", ("mixed precision",)),
    ("CUDA programming", ("CUDA programming", "CUDA kernel")),
    ("model compression", ("model compression",)),
    ("pruning", ("pruning",)),
    ("quantization", ("quantization",)),
    ("distillation", ("distillation",)),
    # specialization
    ("computer vision", ("computer vision",)),
    ("image classification", ("classification image",)),
    ("object detection", ("detection",)),
    ("segmentation", ("segmentation",)),
    ("faces", ("face recognition", "faces")),
    ("natural language processing", ("natural language processing",)),
    ("sentiment", ("sentiment",)),
    ("translation", ("machine translation", "translation")),
    ("chatbots", ("chatbot",)),
    ("reinforcement learning", ("reinforcement learning",)),
    ("healthcare", ("healthcare",)),
    ("medical imaging", ("medical imaging",)),
    ("drug discovery", ("drug discovery",)),
    ("personalized medicine", ("personalized medicine",)),
    ("finance", ("finance",)),
    ("fraud detection", ("fraud detection",)),
    ("risk", ("credit risk", "risk")),
    ("trading", ("trading",)),
    ("autonomous systems", ("autonomous systems",)),
    ("deploying models", ("deploying models", "deployment")),
    ("start with a minimal product", ("minimal product",)),
    ("serving", ("serving",)),
    ("latency and scale", ("latency scale",)),
    ("continuous monitoring", ("monitoring",)),
    ("security and privacy", ("security privacy",)),
    ("cloud platforms", ("cloud platforms",)),
    ("edge devices", ("edge devices",)),
    ("reading research papers", ("research papers",)),
    ("contributing to open source", ("open source", "open-source")),
    ("self-supervised learning", ("self-supervised",)),
    ("meta-learning", ("meta-learning",)),
    ("neural architecture search", ("neural architecture search",)),
    ("careers", ("careers",)),
    ("deep-learning engineer", ("deep-learning engineer",)),
    ("data scientist", ("data scientist",)),
    ("research scientist", ("research scientist",)),
    ("machine-learning engineer", ("machine-learning engineer",)),
    ("computer-vision specialist", ("computer-vision specialist",)),
    ("the skills each role needs", ("skills",)),
    ("building a portfolio", ("portfolio",)),
    ("diverse projects", ("diverse projects",)),
    ("documentation", ("documentation", "README")),
    ("GitHub", ("GitHub",)),
    ("writing about your work", ("writing about your work", "write-up")),
    ("asking for feedback", ("feedback",)),
    ("realistic goals", ("realistic goals",)),
    ("dedicated time", ("dedicated time",)),
    ("priorities", ("priorities",)),
    ("avoiding burnout", ("burnout",)),
    ("communities", ("communities",)),
    ("Kaggle", ("Kaggle",)),
    ("forums", ("forums",)),
    ("study groups", ("study groups",)),
    ("courses and books", ("courses books",)),
    ("cloud notebooks when you have no GPU", ("cloud notebook GPU", "Google Colab")),
    # issue 16: what the road needs and was missing
    ("the PyTorch data pipeline", ("Dataset DataLoader",)),
    ("saving and resuming checkpoints", ("checkpoint resume",)),
    ("embeddings", ("nn.Embedding", "embedding")),
    ("tokenization", ("tokenization", "byte-pair encoding")),
    ("residual connections", ("residual connection",)),
    ("layer normalization", ("layer normalization",)),
    ("class imbalance", ("class imbalance", "pos_weight")),
    ("calibration", ("calibration temperature scaling",)),
    ("clustering", ("k-means clustering",)),
    ("PCA", ("PCA principal component",)),
    ("experiment tracking", ("experiment tracking TensorBoard",)),
    ("reproducibility", ("reproducibility seed",)),
    ("TPUs and cloud accelerators", ("TPU",)),
    ("non-maximum suppression", ("non-maximum suppression",)),
    ("the Bellman equation", ("Bellman",)),
    ("policy gradients", ("REINFORCE policy gradient",)),
    ("exporting a model", ("torch.export", "ONNX export")),
    # issue 24: what the seeds ask and the road used to only mention
    ("working a Kaggle competition", ("Kaggle leaderboard",)),
    ("exact Shapley values", ("Shapley",)),
    ("drift monitoring", ("drift monitoring", "population stability index")),
    ("domain adaptation in code", ("batch normalization domain",)),
    ("tensor and pipeline parallelism", ("pipeline parallelism",)),
    ("FSDP", ("FSDP",)),
    ("an edge export", ("ExecuTorch",)),
    ("diffusion models", ("diffusion model",)),
    ("LoRA", ("LoRA",)),
    ("retrieval-augmented generation", ("retrieval",)),
    ("evaluating language models", ("contamination",)),
]


# ---------------------------------------------------------------- helpers


def _norm_words(text: str) -> set[str]:
    """Lower-case words of `text`; a hyphenated word also counts joined and split."""
    words: set[str] = set()
    for token in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)*", text.lower()):
        words.update([token, token.replace("-", ""), *token.split("-")])
    return words


def _forms(word: str) -> set[str]:
    """`word` with and without the usual English plural endings."""
    forms = {word, word + "s", word + "es"}
    if word.endswith("ies"):
        forms.add(word[:-3] + "y")
    if word.endswith("y"):
        forms.add(word[:-1] + "ies")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    return forms


def _holds(text_words: set[str], query: str) -> bool:
    """Whether every word of `query` (in some plural form) is among `text_words`."""
    return all(_forms(w) & text_words for w in re.findall(r"[a-z0-9]+", query.lower()))


@pytest.fixture(scope="module")
def curriculum() -> Any:
    from dlpath.course.loading import load_curriculum

    return load_curriculum(None, use_cache=False)


@pytest.fixture(scope="module")
def texts(curriculum: Any) -> dict[str, set[str]]:
    out = {}
    for lesson in curriculum.lessons:
        text = " ".join([lesson.title, lesson.summary, " ".join(lesson.objectives), curriculum.body(lesson)])
        out[lesson.id] = _norm_words(text)
    return out


def _fail_listing(problems: list[str]) -> None:
    if problems:
        pytest.fail(f"{len(problems)} problem(s):\n" + "\n".join(problems), pytrace=False)


def _body_words(body: str) -> int:
    return len(body.split())


# ---------------------------------------------------------------- the whole curriculum


def test_the_shipped_curriculum_validates(runner):
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output


def test_size_stages_and_tracks(curriculum):
    assert len(curriculum.lessons) >= 45
    per_stage = Counter(lesson.stage for lesson in curriculum.lessons)
    thin = {s.id: per_stage[s.id] for s in curriculum.stages if per_stage[s.id] < 6}
    assert not thin, f"stages with fewer than 6 lessons: {thin}"
    assert len(curriculum.tracks) >= 5
    used = {t for lesson in curriculum.lessons for t in lesson.tracks}
    empty = [t.id for t in curriculum.tracks if t.id not in used]
    assert not empty, f"tracks that no lesson belongs to: {empty}"


def test_no_duplicate_titles(curriculum):
    titles = Counter(lesson.title.strip().lower() for lesson in curriculum.lessons)
    assert [t for t, n in titles.items() if n > 1] == []


# ---------------------------------------------------------------- each lesson's shape


def test_every_body_has_a_bounded_length_and_an_exercise(curriculum):
    problems = []
    for lesson in curriculum.lessons:
        body = curriculum.body(lesson)
        n = _body_words(body)
        if not MIN_WORDS <= n <= MAX_WORDS:
            problems.append(f"{lesson.id}: body has {n} words (wanted {MIN_WORDS}-{MAX_WORDS})")
        if not re.search(r"^## Try it\b", body, flags=re.MULTILINE):
            problems.append(f"{lesson.id}: body has no '## Try it' section")
        if body.count("```") % 2:
            problems.append(f"{lesson.id}: body has an unclosed ``` code fence")
    _fail_listing(problems)


def test_every_lesson_has_2_to_5_real_looking_resources(curriculum):
    from dlpath.course.model import RESOURCE_KINDS

    problems = []
    for lesson in curriculum.lessons:
        if not 2 <= len(lesson.resources) <= 5:
            problems.append(f"{lesson.id}: {len(lesson.resources)} resources (wanted 2-5)")
        for r in lesson.resources:
            if not r.title.strip() or not r.where.strip() or r.kind not in RESOURCE_KINDS:
                problems.append(f"{lesson.id}: resource {r.title!r} lacks a title, a place, or a known kind")
    _fail_listing(problems)


def test_every_lesson_has_2_to_4_well_formed_questions(curriculum):
    problems = []
    for lesson in curriculum.lessons:
        if not 2 <= len(lesson.questions) <= 4:
            problems.append(f"{lesson.id}: {len(lesson.questions)} questions (wanted 2-4)")
        for i, q in enumerate(lesson.questions, 1):
            right = [c for c in q.choices if c.correct]
            if len(right) != 1:
                problems.append(f"{lesson.id}: question {i} has {len(right)} correct choices (wanted 1)")
            if len(q.choices) < 2:
                problems.append(f"{lesson.id}: question {i} has fewer than 2 choices")
            for c in q.choices:
                if not c.correct and not (c.why or "").strip():
                    problems.append(f"{lesson.id}: question {i}, choice {c.text!r} has no why")
            if len({c.text.strip().lower() for c in q.choices}) != len(q.choices):
                problems.append(f"{lesson.id}: question {i} repeats a choice")
    _fail_listing(problems)


def test_the_right_answer_moves_around(curriculum):
    positions = Counter(q.answer for lesson in curriculum.lessons for q in lesson.questions)
    total = sum(positions.values())
    assert total
    most, count = positions.most_common(1)[0]
    assert count / total <= 0.6, f"choice {most} is the right answer in {count} of {total} questions"


def test_the_right_answer_is_not_given_away_by_its_length(curriculum):
    """A learner who always picks the longest (or the shortest) choice scores about what guessing scores.

    Under guessing, the right answer is the strictly longest choice of a question with k
    choices with chance at most 1/k; the count over the whole curriculum may exceed what
    guessing gives by two standard deviations at most (issue 23: it was 157 of 178).
    """
    import math

    questions = [q for lesson in curriculum.lessons for q in lesson.questions]
    chance = sum(1 / len(q.choices) for q in questions)
    limit = chance + 2 * math.sqrt(sum(1 / len(q.choices) * (1 - 1 / len(q.choices)) for q in questions))
    for name, pick in (("longest", max), ("shortest", min)):
        hits = 0
        for q in questions:
            right = next(len(c.text) for c in q.choices if c.correct)
            others = [len(c.text) for c in q.choices if not c.correct]
            hits += right == pick(others + [right]) and right not in others
        assert hits <= limit, (f"the right answer is the {name} choice in {hits} of {len(questions)} "
                               f"questions; guessing gives about {chance:.0f} (at most {limit:.0f} allowed)")


def test_hours_are_plausible(curriculum):
    odd = [f"{lesson.id}: {lesson.hours}" for lesson in curriculum.lessons
           if not MIN_HOURS <= lesson.hours <= MAX_HOURS]
    _fail_listing(odd)


def test_lessons_with_a_project_say_how_to_start_and_check_it(curriculum):
    problems = []
    for lesson in curriculum.lessons:
        if not lesson.project:
            continue
        body = curriculum.body(lesson)
        if f"dlpath start {lesson.project}" not in body or "dlpath check" not in body:
            problems.append(f"{lesson.id}: body should tell the learner to run "
                            f"`dlpath start {lesson.project}` and then `dlpath check`")
    _fail_listing(problems)


def test_gpu_lessons_say_what_to_do_without_a_gpu(curriculum):
    """A lesson gated on a GPU names a free cloud notebook and what runs on a CPU (issue 3). The CUDA kernel
    lessons are not gated (issue 25): their kernels run on numba-cuda's simulator, and they say how."""
    from dlpath.grading.project import list_projects

    problems = []
    for lesson in [lesson for lesson in curriculum.lessons if lesson.requires.cuda]:
        body = curriculum.body(lesson).lower()
        if "colab" not in body and "kaggle" not in body:
            problems.append(f"{lesson.id}: needs CUDA but names no free cloud notebook (Colab, Kaggle)")
        if "cpu" not in body:
            problems.append(f"{lesson.id}: needs CUDA but does not say what runs on a CPU")
    kernel_lessons = {p.lesson for p in list_projects() if p.task == "cuda_kernel"}
    assert len(kernel_lessons) >= 3
    for lesson_id in sorted(kernel_lessons):
        lesson = curriculum.lesson(lesson_id)
        if lesson.requires.cuda:
            problems.append(f"{lesson.id}: its kernels run on the simulator; it must not need a GPU")
        if "NUMBA_ENABLE_CUDASIM" not in curriculum.body(lesson):
            problems.append(f"{lesson.id}: does not show how to run its kernels without a GPU")
    _fail_listing(problems)


def test_every_quiz_passes_with_its_right_answers(curriculum):
    from dlpath.learner import quiz

    for lesson in curriculum.lessons:
        results = quiz.grade(lesson, [q.answer for q in lesson.questions])
        assert all(r.correct for r in results), lesson.id


def test_a_shipped_quiz_through_the_real_command(runner, curriculum):
    lesson = curriculum.lesson("learning-habits")  # no prerequisites; its exercises complete it, not the quiz
    answers = ",".join(str(q.answer) for q in lesson.questions)
    result = runner.invoke(app, ["quiz", lesson.id, "--answers", answers, "--json"])
    assert result.exit_code == 0, result.output
    quiz = json.loads(result.output)
    assert quiz["passed"] is True and quiz["marked_done"] is False
    assert "dlpath start ex-learning-habits" in quiz["message"]


# ---------------------------------------------------------------- coverage


def test_coverage_items_are_all_listed_once():
    names = [name for name, _ in COVERAGE]
    assert len(names) == len(set(names))
    assert all(queries for _, queries in COVERAGE)


def test_every_coverage_item_is_found_by_search(curriculum, texts):
    from dlpath.course.search import search  # what `dlpath search QUERY --limit 5` ranks, without a process per query

    missing = []
    for name, queries in COVERAGE:
        found = False
        for query in queries:
            hits = [h.id for h in search(curriculum, query, limit=5).results]
            if any(_holds(texts[h], query) for h in hits):
                found = True
                break
        if not found:
            missing.append(f"{name!r} (searched: {' | '.join(queries)})")
    _fail_listing(missing)
