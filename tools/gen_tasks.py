#!/usr/bin/env python3
"""Generates Tianti's task files for public benchmarks (tasks/mmlu, tasks/ceval,
tasks/cmmlu, tasks/gsm8k, tasks/truthfulqa, and tasks/leaderboard: the Open
LLM Leaderboard's suites leaderboard_v1 and leaderboard_v2 and LAMBADA) from
the data in a datasets folder.

Each task file names its data by a path relative to the data folder
(the leaderboard tasks by lm-eval's dataset_path, dataset_name and split,
which harness/dataset_hub.c finds in the data folder)
(--data-dir / $TIANTI_DATA), the sha256 of that file, and the public upstream
URL it came from (see each dataset's SOURCE.md), so a run with
--data-dir DATASETS works offline and a run without one downloads and checks.
Prompts follow lm-evaluation-harness's task YAMLs (lm_eval/tasks/*/ YAML files).

Usage: tools/gen_tasks.py [DATASETS_DIR]   (default $TIANTI_SHARED_DIR/datasets
or ../shared/datasets). Writes into tasks/ next to this script's parent.
"""
import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TASKS = os.path.join(ROOT, "tasks")

MMLU_URL = ("https://raw.githubusercontent.com/HaeChan0305/MLILAB-FedLLM/"
            "d92730e8bacd7b3a61e551e015e40588e10234b4/data/mmlu/")
CMMLU_URL = ("https://raw.githubusercontent.com/haonan-li/CMMLU/"
             "d6e7b716d8ac694f38969a6c0407437d1fded799/data/")
CEVAL_ZIP_URL = ("https://raw.githubusercontent.com/bokunopica/ceval/"
                 "cabe50c184f73cfe51c65b227adfdc35115c6e6c/ceval-exam.zip")
GSM8K_URL = ("https://raw.githubusercontent.com/openai/grade-school-math/"
             "3101c7d5072418e28b9008a6636bde82a006892c/grade_school_math/data/test.jsonl")
TQA_URL = ("https://raw.githubusercontent.com/sylinrl/TruthfulQA/"
           "d71c110897f5d31c5d7f309e7bc316c152f6f031/data/v0/mc_task.json")

# lm-evaluation-harness lm_eval/tasks/cmmlu/_generate_configs.py SUBJECTS
CMMLU_ZH = {
    "agronomy": "农学", "anatomy": "解剖学", "ancient_chinese": "古汉语", "arts": "艺术学",
    "astronomy": "天文学", "business_ethics": "商业伦理",
    "chinese_civil_service_exam": "中国公务员考试", "chinese_driving_rule": "中国驾驶规则",
    "chinese_food_culture": "中国饮食文化", "chinese_foreign_policy": "中国外交政策",
    "chinese_history": "中国历史", "chinese_literature": "中国文学",
    "chinese_teacher_qualification": "中国教师资格", "clinical_knowledge": "临床知识",
    "college_actuarial_science": "大学精算学", "college_education": "大学教育学",
    "college_engineering_hydrology": "大学工程水文学", "college_law": "大学法律",
    "college_mathematics": "大学数学", "college_medical_statistics": "大学医学统计",
    "college_medicine": "大学医学", "computer_science": "计算机科学",
    "computer_security": "计算机安全", "conceptual_physics": "概念物理学",
    "construction_project_management": "建设工程管理", "economics": "经济学",
    "education": "教育学", "electrical_engineering": "电气工程", "elementary_chinese": "小学语文",
    "elementary_commonsense": "小学常识", "elementary_information_and_technology": "小学信息技术",
    "elementary_mathematics": "初等数学", "ethnology": "民族学", "food_science": "食品科学",
    "genetics": "遗传学", "global_facts": "全球事实", "high_school_biology": "高中生物",
    "high_school_chemistry": "高中化学", "high_school_geography": "高中地理",
    "high_school_mathematics": "高中数学", "high_school_physics": "高中物理学",
    "high_school_politics": "高中政治", "human_sexuality": "人类性行为",
    "international_law": "国际法学", "journalism": "新闻学", "jurisprudence": "法理学",
    "legal_and_moral_basis": "法律与道德基础", "logical": "逻辑学", "machine_learning": "机器学习",
    "management": "管理学", "marketing": "市场营销", "marxist_theory": "马克思主义理论",
    "modern_chinese": "现代汉语", "nutrition": "营养学", "philosophy": "哲学",
    "professional_accounting": "专业会计", "professional_law": "专业法学",
    "professional_medicine": "专业医学", "professional_psychology": "专业心理学",
    "public_relations": "公共关系", "security_study": "安全研究", "sociology": "社会学",
    "sports_science": "体育学", "traditional_chinese_medicine": "中医中药", "virology": "病毒学",
    "world_history": "世界历史", "world_religions": "世界宗教",
}

# Wei et al. (2022) chain-of-thought exemplars, as lm-eval's gsm8k-cot uses them
GSM8K_COT = [
    ("There are 15 trees in the grove. Grove workers will plant trees in the grove today. After they are done, there will be 21 trees. How many trees did the grove workers plant today?",
     "There are 15 trees originally. Then there were 21 trees after some more were planted. So there must have been 21 - 15 = 6. The answer is 6."),
    ("If there are 3 cars in the parking lot and 2 more cars arrive, how many cars are in the parking lot?",
     "There are originally 3 cars. 2 more cars arrive. 3 + 2 = 5. The answer is 5."),
    ("Leah had 32 chocolates and her sister had 42. If they ate 35, how many pieces do they have left in total?",
     "Originally, Leah had 32 chocolates. Her sister had 42. So in total they had 32 + 42 = 74. After eating 35, they had 74 - 35 = 39. The answer is 39."),
    ("Jason had 20 lollipops. He gave Denny some lollipops. Now Jason has 12 lollipops. How many lollipops did Jason give to Denny?",
     "Jason started with 20 lollipops. Then he had 12 after giving some to Denny. So he gave Denny 20 - 12 = 8. The answer is 8."),
    ("Shawn has five toys. For Christmas, he got two toys each from his mom and dad. How many toys does he have now?",
     "Shawn started with 5 toys. If he got 2 toys each from his mom and dad, then that is 4 more toys. 5 + 4 = 9. The answer is 9."),
    ("There were nine computers in the server room. Five more computers were installed each day, from monday to thursday. How many computers are now in the server room?",
     "There were originally 9 computers. For each of 4 days, 5 more computers were added. So 5 * 4 = 20 computers were added. 9 + 20 is 29. The answer is 29."),
    ("Michael had 58 golf balls. On tuesday, he lost 23 golf balls. On wednesday, he lost 2 more. How many golf balls did he have at the end of wednesday?",
     "Michael started with 58 golf balls. After losing 23 on tuesday, he had 58 - 23 = 35. After losing 2 more, he had 35 - 2 = 33 golf balls. The answer is 33."),
    ("Olivia has $23. She bought five bagels for $3 each. How much money does she have left?",
     "Olivia had 23 dollars. 5 bagels for 3 dollars each will be 5 x 3 = 15 dollars. So she has 23 - 15 dollars left. 23 - 15 is 8. The answer is 8."),
]

TQA_PREAMBLE = (
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain.")

# lm-eval gsm8k.yaml's exact_match options, patterns as written there
# (Python re; core/pytext.c runs them with PCRE2)
GSM8K_EM = {"metric": "exact_match", "aggregation": "mean", "higher_is_better": True,
            "ignore_case": True, "ignore_punctuation": False,
            "regexes_to_ignore": [",", "\\$", "(?s).*#### ", "\\.$"]}


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def entry(data, rel, url, **extra):
    e = {"path": rel, "sha256": sha256(os.path.join(data, rel)), "url": url}
    e.update(extra)
    return e


def write(rel, obj):
    path = os.path.join(TASKS, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


MC_LETTERS = ["A", "B", "C", "D"]
ACC = {"metric": "acc", "aggregation": "mean", "higher_is_better": True}
ACC_NORM = {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}
NOTE = "generated by tools/gen_tasks.py; edit that script, not this file"


def gen_mmlu(data):
    subjects = sorted(f[:-len("_test.csv")] for f in os.listdir(os.path.join(data, "mmlu/test")))
    write("mmlu/_mmlu.json", {
        "_comment": NOTE + ". lm-eval mmlu/default: 5-shot first_n from dev; this copy of the CSVs "
                    "has columns question,choice0..choice3,answer (0-based index). lm-eval names the "
                    "field (doc_to_target: answer), whose value is an int in its dataset; a CSV cell is "
                    "the text '2', which as a bare field would be a choice text, so the target is the "
                    "template {{answer}}: lm-eval reads a rendered digit string as the index",
        "version": 1.0,
        "group": "mmlu",
        "output_type": "multiple_choice",
        "generative_fallback": True,
        "test_split": "test",
        "fewshot_split": "dev",
        "num_fewshot": 5,
        "fewshot_config": {"sampler": "first_n"},
        "doc_to_text": "{{question.strip()}}\nA. {{choice0}}\nB. {{choice1}}\nC. {{choice2}}\nD. {{choice3}}\nAnswer:",
        "doc_to_choice": MC_LETTERS,
        "doc_to_target": "{{answer}}",
        "metrics": [ACC],
    })
    names = []
    for s in subjects:
        name = "mmlu_" + s
        names.append(name)
        write("mmlu/%s.json" % name, {
            "include": "_mmlu.json",
            "name": name,
            "description": "The following are multiple choice questions (with answers) about %s.\n\n"
                           % s.replace("_", " "),
            "dataset": {"splits": {
                "test": entry(data, "mmlu/test/%s_test.csv" % s, MMLU_URL + "test/%s_test.csv" % s),
                "dev": entry(data, "mmlu/dev/%s_dev.csv" % s, MMLU_URL + "dev/%s_dev.csv" % s),
            }},
        })
    write("mmlu/mmlu.suite.json", {"name": "mmlu", "version": 2, "aggregate": "size_weighted", "tasks": names})
    return len(names)


def gen_ceval(data):
    with open(os.path.join(data, "ceval/subject_mapping.json"), encoding="utf-8") as f:
        mapping = json.load(f)
    zip_sha = sha256(os.path.join(data, "ceval/ceval-exam.zip"))
    write("ceval/_ceval.json", {
        "_comment": NOTE + ". lm-eval ceval-valid: evaluate val, 5-shot first_n from dev",
        "version": 2.0,
        "group": "ceval-valid",
        "output_type": "multiple_choice",
        "generative_fallback": True,
        "validation_split": "val",
        "fewshot_split": "dev",
        "num_fewshot": 5,
        "fewshot_config": {"sampler": "first_n"},
        "doc_to_text": "{{question.strip()}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\n答案：",
        "doc_to_choice": MC_LETTERS,
        "doc_to_target": "{{['A', 'B', 'C', 'D'].index(answer)}}",
        "metrics": [ACC, ACC_NORM],
    })
    names = []
    for s in sorted(mapping):
        name = "ceval-valid_" + s
        names.append(name)
        sp = {}
        for split in ("val", "dev"):
            member = "%s/%s_%s.csv" % (split, s, split)
            sp[split] = entry(data, "ceval/" + member, CEVAL_ZIP_URL, member=member,
                              url_sha256=zip_sha)
        write("ceval/%s.json" % name, {
            "include": "_ceval.json",
            "name": name,
            "description": "以下是中国关于%s的单项选择题，请选出其中的正确答案。\n\n" % mapping[s][1],
            "dataset": {"splits": sp},
        })
    write("ceval/ceval-valid.suite.json", {"name": "ceval-valid", "version": 2.0, "aggregate": "size_weighted",
                                           "tasks": names})
    return len(names)


def gen_cmmlu(data):
    write("cmmlu/_cmmlu.json", {
        "_comment": NOTE + ". lm-eval cmmlu: evaluate test, 5-shot first_n from dev",
        "version": 1.0,
        "group": "cmmlu",
        "output_type": "multiple_choice",
        "generative_fallback": True,
        "test_split": "test",
        "fewshot_split": "dev",
        "num_fewshot": 5,
        "fewshot_config": {"sampler": "first_n"},
        "doc_to_text": "{{Question.strip()}}\nA. {{A}}\nB. {{B}}\nC. {{C}}\nD. {{D}}\n答案：",
        "doc_to_choice": MC_LETTERS,
        "doc_to_target": "{{['A', 'B', 'C', 'D'].index(Answer)}}",
        "metrics": [ACC, ACC_NORM],
    })
    present = sorted(f[:-4] for f in os.listdir(os.path.join(data, "cmmlu/test")))
    assert sorted(CMMLU_ZH) == present, set(present) ^ set(CMMLU_ZH)
    names = []
    for s in present:
        name = "cmmlu_" + s
        names.append(name)
        write("cmmlu/%s.json" % name, {
            "include": "_cmmlu.json",
            "name": name,
            "description": "以下是关于%s的单项选择题，请直接给出正确答案的选项。\n\n" % CMMLU_ZH[s],
            "dataset": {"splits": {
                "test": entry(data, "cmmlu/test/%s.csv" % s, CMMLU_URL + "test/%s.csv" % s),
                "dev": entry(data, "cmmlu/dev/%s.csv" % s, CMMLU_URL + "dev/%s.csv" % s),
            }},
        })
    write("cmmlu/cmmlu.suite.json", {"name": "cmmlu", "version": 1.0, "aggregate": "size_weighted", "tasks": names})
    return len(names)


def gen_gsm8k(data):
    ds = {"path": entry(data, "gsm8k/test.jsonl", GSM8K_URL)}
    write("gsm8k/gsm8k.json", {
        "_comment": NOTE + ". lm-eval gsm8k (version 3): 5-shot. Only the test split is public "
                    "here, so shots are drawn at random (seed 1234) from test, never the doc itself; "
                    "lm-eval draws them from train",
        "name": "gsm8k",
        "version": 3.0,
        "dataset": ds,
        "output_type": "generate_until",
        "num_fewshot": 5,
        "doc_to_text": "Question: {{question}}\nAnswer:",
        "doc_to_target": "{{answer}}",
        "generation": {"until": ["Question:", "</s>", "<|im_end|>"], "do_sample": False,
                       "temperature": 0.0, "max_tokens": 256},
        "filters": [
            {"name": "strict-match", "filter": [
                {"function": "regex", "regex_pattern": "#### (\\-?[0-9\\.\\,]+)"},
                {"function": "take_first"}]},
            {"name": "flexible-extract", "filter": [
                {"function": "regex", "group_select": -1,
                 "regex_pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)"},
                {"function": "take_first"}]},
        ],
        "metrics": [GSM8K_EM],
    })
    write("gsm8k/gsm8k_cot.json", {
        "_comment": NOTE + ". lm-eval gsm8k-cot: 8 fixed chain-of-thought exemplars (Wei et al. 2022)",
        "name": "gsm8k_cot",
        "version": 3.0,
        "dataset": ds,
        "output_type": "generate_until",
        "num_fewshot": 8,
        "fewshot_config": {
            "sampler": "first_n",
            "samples": [{"question": q, "target": a} for q, a in GSM8K_COT],
            "doc_to_target": "{{target}}",
        },
        "doc_to_text": "Q: {{question}}\nA:",
        "doc_to_target": "{{answer.split('####')[-1].strip()}}",
        "generation": {"until": ["Q:", "</s>", "<|im_end|>"], "do_sample": False,
                       "temperature": 0.0, "max_tokens": 256},
        "filters": [
            {"name": "strict-match", "filter": [
                {"function": "regex", "regex_pattern": "The answer is (\\-?[0-9\\.\\,]+)."},
                {"function": "take_first"}]},
            {"name": "flexible-extract", "filter": [
                {"function": "regex", "group_select": -1,
                 "regex_pattern": "(-?[$0-9.,]{2,})|(-?[0-9]+)"},
                {"function": "take_first"}]},
        ],
        "metrics": [GSM8K_EM],
    })
    return 2


def gen_truthfulqa(data):
    ds = {"path": entry(data, "truthfulqa/v0/mc_task.json", TQA_URL)}
    text = TQA_PREAMBLE + "\n\nQ: {{question}}\nA:"
    write("truthfulqa/truthfulqa_mc1.json", {
        "_comment": NOTE + ". lm-eval truthfulqa_mc1 (817 questions, original release); the true "
                    "answer is listed first, target index 0",
        "name": "truthfulqa_mc1",
        "version": 2.0,
        "group": "truthfulqa",
        "dataset": ds,
        "output_type": "multiple_choice",
        "num_fewshot": 0,
        "doc_to_text": text,
        "doc_to_choice": "{{mc1_targets.keys()}}",
        "doc_to_target": 0,
        "metrics": [ACC],
    })
    write("truthfulqa/truthfulqa_mc2.json", {
        "_comment": NOTE + ". lm-eval truthfulqa_mc2 (version 3.0): the target is the list of 0/1 "
                    "labels of the choices; its process_results_mc2 reports the normalised probability "
                    "mass on the true answers as acc",
        "name": "truthfulqa_mc2",
        "version": 3.0,
        "group": "truthfulqa",
        "dataset": ds,
        "output_type": "multiple_choice",
        "num_fewshot": 0,
        "doc_to_text": text,
        "doc_to_choice": "{{mc2_targets.keys()}}",
        "doc_to_target": "{{mc2_targets.values()}}",
        "process_results": "truthfulqa_mc2",
        "metrics": [ACC],
    })
    return 2


# ---- the Open LLM Leaderboard -------------------------------------------------------
# Settings as lm-evaluation-harness's tasks (lm_eval/tasks/arc, hellaswag,
# winogrande, lambada, leaderboard/*) and the shot counts the leaderboard
# used (v1: ARC 25, HellaSwag 10, MMLU 5, TruthfulQA 0, WinoGrande 5, GSM8K 5).
# Data by lm-eval's dataset_path: harness/dataset_hub.c finds each set in the
# data folder by its convention or where ../shared/datasets keeps it.

def hub(path, split, name=None):
    e = {"hub": path, "split": split}
    if name:
        e["name"] = name
    return e


# lm_eval/tasks/leaderboard/bbh_mc/<task>.yaml doc_to_choice
BBH_CHOICES = {
    "boolean_expressions": ["False", "True"], "causal_judgement": ["Yes", "No"],
    "date_understanding": ["(A)", "(B)", "(C)", "(D)", "(E)", "(F)"],
    "disambiguation_qa": ["(A)", "(B)", "(C)"], "formal_fallacies": ["valid", "invalid"],
    "geometric_shapes": ["(%s)" % c for c in "ABCDEFGHIJK"], "hyperbaton": ["(A)", "(B)"],
    "logical_deduction_five_objects": ["(%s)" % c for c in "ABCDE"],
    "logical_deduction_seven_objects": ["(%s)" % c for c in "ABCDEFG"],
    "logical_deduction_three_objects": ["(A)", "(B)", "(C)"],
    "movie_recommendation": ["(%s)" % c for c in "ABCDEF"], "navigate": ["Yes", "No"],
    "object_counting": [str(i) for i in range(19)], "penguins_in_a_table": ["(%s)" % c for c in "ABCDE"],
    "reasoning_about_colored_objects": ["(%s)" % c for c in "ABCDEFGHIJKLMNOPQR"],
    "ruin_names": ["(%s)" % c for c in "ABCDEF"],
    "salient_translation_error_detection": ["(%s)" % c for c in "ABCDEF"], "snarks": ["(A)", "(B)"],
    "sports_understanding": ["yes", "no"], "temporal_sequences": ["(A)", "(B)", "(C)", "(D)"],
    "tracking_shuffled_objects_five_objects": ["(%s)" % c for c in "ABCDE"],
    "tracking_shuffled_objects_seven_objects": ["(%s)" % c for c in "ABCDEFG"],
    "tracking_shuffled_objects_three_objects": ["(A)", "(B)", "(C)"], "web_of_lies": ["Yes", "No"],
}


def bbh_prompt(data, task):
    """The task description and the three exemplars of cot-prompts/<task>.txt,
    each with its final answer only (the leaderboard's bbh_mc shots)."""
    import re
    with open(os.path.join(data, "bbh/cot-prompts/%s.txt" % task), encoding="utf-8") as f:
        lines = f.read().split("\n")
    assert lines[1] == "-----", task
    desc, rest = "\n".join(lines[2:]).split("\n\nQ: ", 1)
    shots = []
    for q in ("Q: " + rest).split("\n\nQ: "):
        q = q[3:] if q.startswith("Q: ") else q
        question, answer = q.split("\nA: Let's think step by step.", 1)
        shots.append({"input": question, "target": re.search(r"So the answer is (.*)\.\s*$", answer.strip()).group(1)})
    return desc.strip(), shots


# The Minerva 4-shot prompt (Lewkowycz et al. 2022, appendix) as lm-eval's
# leaderboard/math/utils.py list_fewshot_samples gives it
MATH_SHOTS = [
 {
  "problem": "Find the domain of the expression  $\\frac{\\sqrt{x-2}}{\\sqrt{5-x}}$.}",
  "solution": "The expressions inside each square root must be non-negative. Therefore, $x-2 \\ge 0$, so $x\\ge2$, and $5 - x \\ge 0$, so $x \\le 5$. Also, the denominator cannot be equal to zero, so $5-x>0$, which gives $x<5$. Therefore, the domain of the expression is $\\boxed{[2,5)}$.\nFinal Answer: The final answer is $[2,5)$. I hope it is correct.",
  "few_shot": "1",
  "level": "Level 5"
 },
 {
  "problem": "If $\\det \\mathbf{A} = 2$ and $\\det \\mathbf{B} = 12,$ then find $\\det (\\mathbf{A} \\mathbf{B}).$",
  "solution": "We have that $\\det (\\mathbf{A} \\mathbf{B}) = (\\det \\mathbf{A})(\\det \\mathbf{B}) = (2)(12) = \\boxed{24}.$\nFinal Answer: The final answer is $24$. I hope it is correct.",
  "few_shot": "1",
  "level": "Level 5"
 },
 {
  "problem": "Terrell usually lifts two 20-pound weights 12 times. If he uses two 15-pound weights instead, how many times must Terrell lift them in order to lift the same total weight?",
  "solution": "If Terrell lifts two 20-pound weights 12 times, he lifts a total of $2\\cdot 12\\cdot20=480$ pounds of weight.  If he lifts two 15-pound weights instead for $n$ times, he will lift a total of $2\\cdot15\\cdot n=30n$ pounds of weight.  Equating this to 480 pounds, we can solve for $n$:\n\\begin{align*}\n30n&=480\\\n\\Rightarrow\\qquad n&=480/30=\\boxed{16}\n\\end{align*}\nFinal Answer: The final answer is $16$. I hope it is correct.",
  "few_shot": "1",
  "level": "Level 5"
 },
 {
  "problem": "If the system of equations\n\n\\begin{align*}\n6x-4y&=a,\\\n6y-9x &=b.\n\\end{align*}has a solution $(x, y)$ where $x$ and $y$ are both nonzero,\nfind $\\frac{a}{b},$ assuming $b$ is nonzero.",
  "solution": "If we multiply the first equation by $-\\frac{3}{2}$, we obtain\n\n$$6y-9x=-\\frac{3}{2}a.$$Since we also know that $6y-9x=b$, we have\n\n$$-\\frac{3}{2}a=b\\Rightarrow\\frac{a}{b}=\\boxed{-\\frac{2}{3}}.$$\nFinal Answer: The final answer is $-\\frac{2}{3}$. I hope it is correct.",
  "few_shot": "1",
  "level": "Level 5"
 }
]

MATH_SUBJECTS = ["algebra", "counting_and_prob", "geometry", "intermediate_algebra", "num_theory", "prealgebra",
                 "precalculus"]
# lm-eval's task names (the first column) and DigitalLearningGmbH/MATH-lighteval's configs
MATH_CONFIGS = {"algebra": "algebra", "counting_and_prob": "counting_and_probability", "geometry": "geometry",
                "intermediate_algebra": "intermediate_algebra", "num_theory": "number_theory",
                "prealgebra": "prealgebra", "precalculus": "precalculus"}


def gen_leaderboard(data):
    n = 0
    L = "leaderboard/"
    # -- v1 ------------------------------------------------------------------------------
    write(L + "arc_challenge.json", {
        "_comment": NOTE + ". lm-eval arc_challenge (arc_easy.yaml), 25-shot as the Open LLM Leaderboard v1 "
                    "ran it; ../shared has no ARC (docs/tasks.md says where to get it)",
        "task": "arc_challenge", "version": 1.0, "tag": ["ai2_arc"],
        "dataset_path": "allenai/ai2_arc", "dataset_name": "ARC-Challenge", "output_type": "multiple_choice",
        "training_split": "train", "validation_split": "validation", "test_split": "test",
        "num_fewshot": 25,
        "doc_to_text": "Question: {{question}}\nAnswer:", "doc_to_target": "{{choices.label.index(answerKey)}}",
        "doc_to_choice": "{{choices.text}}", "metric_list": [ACC, ACC_NORM]})
    write(L + "hellaswag.json", {
        "_comment": NOTE + ". lm-eval hellaswag, 10-shot as the leaderboard v1 ran it (shots from train); "
                    "../shared has the validation split only, in its derived text form (already "
                    "preprocessed; ctx_b not capitalised), so without train the shots come from validation, "
                    "leaving the document out",
        "task": "hellaswag", "version": 1.0, "dataset_path": "Rowan/hellaswag", "output_type": "multiple_choice",
        "training_split": "train", "validation_split": "validation", "fewshot_fallback_split": "validation",
        "num_fewshot": 10, "process_docs": {"function": "hellaswag.process_docs"},
        "doc_to_text": "{{query}}", "doc_to_target": "{{label}}", "doc_to_choice": "choices",
        "metric_list": [ACC, ACC_NORM]})
    write(L + "winogrande.json", {
        "_comment": NOTE + ". lm-eval winogrande (partial scoring: a context per option, one continuation), "
                    "5-shot as the leaderboard v1 ran it (shots from train_xl); ../shared has the dev set only, "
                    "so without train the shots come from validation, leaving the document out",
        "task": "winogrande", "version": 1.0, "dataset_path": "allenai/winogrande", "dataset_name": "winogrande_xl",
        "output_type": "multiple_choice", "training_split": "train", "validation_split": "validation",
        "fewshot_fallback_split": "validation", "num_fewshot": 5,
        "doc_to_text": {"function": "winogrande.doc_to_text"}, "doc_to_target": {"function": "winogrande.doc_to_target"},
        "doc_to_choice": {"function": "winogrande.doc_to_choice"}, "metric_list": [ACC]})
    write(L + "lambada_openai.json", {
        "_comment": NOTE + ". lm-eval lambada_openai: the last word's log-likelihood (perplexity, acc = greedy)",
        "task": "lambada_openai", "version": 1.0, "tag": ["lambada"], "dataset_path": "EleutherAI/lambada_openai",
        "dataset_name": "default", "output_type": "loglikelihood", "test_split": "test",
        "doc_to_text": "{{text.split(' ')[:-1]|join(' ')}}", "doc_to_target": "{{' '+text.split(' ')[-1]}}",
        "metric_list": [{"metric": "perplexity", "aggregation": "perplexity", "higher_is_better": False}, ACC]})
    write(L + "leaderboard_v1.suite.json", {
        "_comment": NOTE + ". The Open LLM Leaderboard v1 (2023-24): each benchmark at its shot count, "
                    "reported by its own metric (ARC acc_norm, HellaSwag acc_norm, MMLU acc, TruthfulQA mc2 "
                    "as acc, WinoGrande acc, GSM8K exact_match); no score across them",
        "name": "leaderboard_v1", "version": 1.0, "metrics": [],
        "tasks": ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc2", "winogrande", "gsm8k"]})
    n += 5
    # -- v2 ------------------------------------------------------------------------------
    write(L + "ifeval/leaderboard_ifeval.json", {
        "_comment": NOTE + ". lm-eval leaderboard/ifeval/ifeval.yaml; the instruction checkers are "
                    "judges/ifeval.c",
        "task": "leaderboard_ifeval", "version": 3.0, "dataset_path": "wis-k/instruction-following-eval",
        "output_type": "generate_until", "test_split": "train", "num_fewshot": 0,
        "doc_to_text": "prompt", "doc_to_target": 0,
        "generation_kwargs": {"until": [], "do_sample": False, "temperature": 0.0, "max_gen_toks": 1280},
        "process_results": {"function": "ifeval.process_results"},
        "metric_list": [
            {"metric": "prompt_level_strict_acc", "aggregation": "mean", "higher_is_better": True},
            {"metric": "inst_level_strict_acc", "aggregation": "flat_mean", "higher_is_better": True},
            {"metric": "prompt_level_loose_acc", "aggregation": "mean", "higher_is_better": True},
            {"metric": "inst_level_loose_acc", "aggregation": "flat_mean", "higher_is_better": True}],
        "fewshot_config": {"sampler": "first_n"}})
    n += 1
    bbh = []
    for task, choices in BBH_CHOICES.items():
        desc, shots = bbh_prompt(data, task)
        name = "leaderboard_bbh_" + task
        bbh.append(name)
        write(L + "bbh/%s.json" % name, {
            "_comment": NOTE + ". lm-eval leaderboard/bbh_mc: multiple choice, 3-shot, the shots being the three "
                        "questions of BIG-Bench-Hard's cot-prompts/%s.txt with their final answers" % task,
            "task": name, "version": 1.0, "dataset_path": "SaylorTwift/bbh", "dataset_name": task,
            "output_type": "multiple_choice", "test_split": "test", "description": desc,
            "doc_to_text": "Q: {{input}}\nA:", "doc_to_target": "{{target}}", "doc_to_choice": choices,
            "num_fewshot": 3, "fewshot_config": {"sampler": "first_n", "samples": shots},
            "metric_list": [ACC_NORM]})
        n += 1
    write(L + "bbh/leaderboard_bbh.suite.json", {
        "name": "leaderboard_bbh", "aggregate": "size_weighted", "metrics": ["acc_norm"], "tasks": bbh})
    math = []
    for subject in MATH_SUBJECTS:
        name = "leaderboard_math_%s_hard" % subject
        math.append(name)
        write(L + "math/%s.json" % name, {
            "_comment": NOTE + ". lm-eval leaderboard/math (MATH Lvl 5): the Level 5 problems of the subject, "
                        "the Minerva 4-shot prompt, exact_match as process_result_v1 (normalize_final_answer, "
                        "judges/math_answer.c)",
            "task": name, "version": 3.0, "dataset_path": "DigitalLearningGmbH/MATH-lighteval",
            "dataset_name": MATH_CONFIGS[subject], "output_type": "generate_until", "training_split": "train",
            "test_split": "test", "process_docs": {"function": "math.process_docs"},
            "doc_to_text": "Problem:\n{{problem}}\n\nSolution:",
            "doc_to_target": "{{answer if few_shot is undefined else solution}}",
            "process_results": {"function": "math.process_results"},
            "generation_kwargs": {"until": ["Problem:"], "do_sample": False, "temperature": 0, "max_gen_toks": 1024},
            "metric_list": [{"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}],
            "num_fewshot": 4, "fewshot_config": {"sampler": "first_n", "samples": MATH_SHOTS}})
        n += 1
    write(L + "math/leaderboard_math_hard.suite.json", {
        "name": "leaderboard_math_hard", "aggregate": "size_weighted", "metrics": ["exact_match"], "tasks": math})
    write(L + "mmlu_pro/leaderboard_mmlu_pro.json", {
        "_comment": NOTE + ". lm-eval leaderboard/mmlu_pro; ../shared has no MMLU-Pro (docs/tasks.md)",
        "task": "leaderboard_mmlu_pro", "version": 0.1, "dataset_path": "TIGER-Lab/MMLU-Pro",
        "test_split": "test", "fewshot_split": "validation", "fewshot_config": {"sampler": "first_n"},
        "output_type": "multiple_choice", "doc_to_text": {"function": "mmlu_pro.doc_to_text"},
        "doc_to_choice": {"function": "mmlu_pro.doc_to_choice"}, "doc_to_target": "answer",
        "metric_list": [ACC], "num_fewshot": 5})
    n += 1
    musr = []
    for split in ["murder_mysteries", "object_placements", "team_allocation"]:
        name = "leaderboard_musr_" + split
        musr.append(name)
        write(L + "musr/%s.json" % name, {
            "_comment": NOTE + ". lm-eval leaderboard/musr; ../shared has no MuSR (docs/tasks.md)",
            "task": name, "version": 1.0, "dataset_path": "TAUR-Lab/MuSR", "test_split": split,
            "output_type": "multiple_choice", "doc_to_text": {"function": "musr.doc_to_text"},
            "doc_to_target": "{{answer_choice}}", "doc_to_choice": "{{choices}}", "metric_list": [ACC_NORM]})
        n += 1
    write(L + "musr/leaderboard_musr.suite.json", {
        "name": "leaderboard_musr", "aggregate": "size_weighted", "metrics": ["acc_norm"], "tasks": musr})
    gpqa = []
    for sub in ["diamond", "extended", "main"]:
        name = "leaderboard_gpqa_" + sub
        gpqa.append(name)
        write(L + "gpqa/%s.json" % name, {
            "_comment": NOTE + ". lm-eval leaderboard/gpqa (0-shot); GPQA is gated, not in ../shared (docs/tasks.md)",
            "task": name, "version": 1.0, "dataset_path": "Idavidrein/gpqa", "dataset_name": "gpqa_" + sub,
            "output_type": "multiple_choice", "process_docs": {"function": "gpqa.process_docs"},
            "training_split": "train", "validation_split": "train",
            "doc_to_text": "What is the correct answer to this question:{{Question}}\nChoices:\n(A) {{choice1}}\n"
                           "(B) {{choice2}}\n(C) {{choice3}}\n(D) {{choice4}}\nAnswer: ",
            "doc_to_target": "answer", "doc_to_choice": ["(A)", "(B)", "(C)", "(D)"], "num_fewshot": 0,
            "metric_list": [ACC_NORM], "fewshot_config": {"sampler": "first_n"}})
        n += 1
    write(L + "gpqa/leaderboard_gpqa.suite.json", {
        "name": "leaderboard_gpqa", "aggregate": "size_weighted", "metrics": ["acc_norm"], "tasks": gpqa})
    write(L + "leaderboard_v2.suite.json", {
        "_comment": NOTE + ". The Open LLM Leaderboard v2 (lm-eval leaderboard/leaderboard.yaml); each member "
                    "group is scored too",
        "name": "leaderboard_v2", "version": 1.0, "aggregate": "size_weighted",
        "metrics": ["acc", "acc_norm", "exact_match", "inst_level_loose_acc", "inst_level_strict_acc",
                    "prompt_level_loose_acc", "prompt_level_strict_acc"],
        "tasks": ["leaderboard_mmlu_pro", "leaderboard_bbh", "leaderboard_gpqa", "leaderboard_math_hard",
                  "leaderboard_ifeval", "leaderboard_musr"]})
    return n


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get("TIANTI_SHARED_DIR", os.path.join(ROOT, "..", "shared")), "datasets")
    n = gen_mmlu(data) + gen_ceval(data) + gen_cmmlu(data) + gen_gsm8k(data) + gen_truthfulqa(data)
    n += gen_leaderboard(data)
    print("wrote %d task files under %s" % (n, TASKS))


if __name__ == "__main__":
    main()
