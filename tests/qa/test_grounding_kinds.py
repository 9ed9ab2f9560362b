"""qa.grounding: answers of another kind than the question asks, answers that repeat the question, and the
evidence choices that had flagged right answers (issue 12, helper ground3). Sources are real CMRC 2018 text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from qa.grounding import ground
from tests.qa.test_grounding import SUPER_BOWL
from tests.qa.test_grounding_reasons import FOUNDING, check, codes

RAILWAY = ("广茂铁路是中国广东省一条起自广州市广州西站，向西跨越北江、西江，经佛山、三水、肇庆、云浮、阳江至茂名市茂名站的铁路，"
           "全长364.6公里，由三茂铁路股份有限公司管理运营。广茂铁路在广州由广茂联络线（前称流西联络线）连接广州西站及广州站，"
           "从而与京广、广深线连接。广三铁路于1903年建成。")
DUCK = ("赤膀鸭（\"Anas strepera\"），俗称漈凫，是一种广泛分布的鸭。牠们最初是由卡尔·林奈（Carolus Linnaeus）于1758年描述。"
        "赤膀鸭长约46-56厘米，翼展78-90厘米。繁殖期的雄鸭呈灰色，形成一种图案，尾巴黑色，翼斑毛呈白色。"
        "雌鸭呈浅褐色，像雌性绿头鸭。不过牠们的喙边呈深橙色，体型较为细小，而且没有明显的翼斑毛。")
AMARILLO = ("阿马里洛 （Amarillo），美国德克萨斯州西北部北部狭地的一个城市。是波特县县治，部分伸入兰德尔县。"
            "面积233.9平方公里，2006年人口为185,525人。1887年开埠，原名奥奈达（Oneida）。"
            "城市曾一度以世界氦都自居，是美国最大的肉类加工厂之一。")
XU_SHEN = ("许申，字维之，号化州，生卒年不详。广东海阳人。唐宋潮州八贤之一。先世申公之父烈公自泉州迁往潮州，"
           "定居韩山麓（今湘桥区桥东）。早年能文，深得潮州通判陈尧佐赏识。")

PARROTFISH = ("钝头鹦嘴鱼，又名红紫鹦哥鱼，俗名红鹦哥、红衣、青衫（雄）、红海蜇（雌）、红黑落（雌），为辐鳍鱼纲鲈形目隆头鱼亚目鹦哥鱼科"
              "的其中一种。本鱼分布于印度太平洋区，包括东非、南非、马尔地夫、斯里兰卡、泰国、日本、台湾、菲律宾、马来西亚、印尼、新几内"
              "亚、澳洲、新喀里多尼亚、马绍尔群岛、马里亚纳群岛、密克罗尼西亚、帛琉、诺鲁、斐济群岛、万那杜、东加、吐瓦鲁、吉里巴斯、夏"
              "威夷群岛、加拉巴哥群岛、美国加利福尼亚州、墨西哥、厄瓜多等海域。水深1至35公尺。本鱼体延长而略侧扁。齿板之外表面平滑，"
              "上齿板几被上唇所覆盖；齿板具0至3犬齿；每一上咽骨具1列臼齿状之咽头齿。开始型雌鱼，体棕红色，各鳞片具1至2个暗色短斑纹"
              "，形成约有5条左右的暗线纹。腹部、头部和各鳍条均较淡色。具截形稍凹形尾。终端型雄鱼，体蓝绿色，躯干部分之鳞片中央为棕红色"
              "，且随体长加长越偏红色调，另外前额突出。眼四周有数条蓝绿色辐射短斑。尾鳍呈新月形，上下叶十分延长。背鳍硬棘9枚、背鳍软条"
              "10枚、臀鳍硬棘3枚、臀鳍软条9枚。体长可达53公分。本鱼偏爱生存于岩礁底质，尤其是圆石斜坡。常在较陡峭的礁岸可发现它们"
              "成群的洄游。食用鱼，可作鱼松，利用红烧或盐烧味道不错。以藻类及底栖生物为食物。")


@pytest.mark.parametrize("question, answer, source, kind, named", [
    ("广茂铁路由哪家公司管理运营？", "1903年", RAILWAY, "description", "问的是名称或描述"),
    ("赤膀鸭的喙边是什么颜色？", "46-56厘米", DUCK, "description", "问的是名称或描述"),
    ("赤膀鸭的俗称是什么？", "1758年", DUCK, "description", "问的是名称或描述"),
    ("赤膀鸭的喙边是什么颜色？", "卡尔·林奈", DUCK, "colour", "问的是颜色"),
    ("What team did the Carolina Panthers play?", "24–10", SUPER_BOWL, "name", "asks for a name"),
    ("Who was named MVP?", "five solo tackles", SUPER_BOWL, "name", "asks for a name"),
    ("Who founded Trinity Church?", "in 1878", FOUNDING, "name", "asks for a name"),
    ("What color were the Broncos' uniforms?", "24–10", SUPER_BOWL, "colour", "asks for a colour"),
])
def test_an_answer_of_another_kind_than_the_question_asks_for_is_flagged(question, answer, source, kind, named):
    result = check(question, answer, source)
    assert result["verdict"] == "unsupported" and codes(result) == ["wrong_kind"], result
    assert named in result["reasons"][0]["message"]


@pytest.mark.parametrize("question, answer, source", [
    ("广茂铁路全长多少公里？", "364.6公里", RAILWAY),  # asks how many
    ("广三铁路在哪年建成？", "1903年", RAILWAY),  # asks which year
    ("阿马里洛的面积是多大？", "233.9平方公里", AMARILLO),  # 面积 is a measure
    ("阿马里洛2006年的人口有多少？", "185,525人", AMARILLO),
    ("广茂铁路由哪家公司管理运营？", "三茂铁路股份有限公司", RAILWAY),
    ("赤膀鸭的喙边是什么颜色？", "深橙色", DUCK),
    ("赤膀鸭的俗称是什么？", "漈凫", DUCK),
    ("Who was named MVP?", "Von Miller", SUPER_BOWL),
    ("What was the final score?", "24–10", SUPER_BOWL),  # a score is a quantity
    ("What did Von Miller record?", "five solo tackles", SUPER_BOWL),  # "what" alone names no kind
])
def test_answers_of_the_kind_asked_for_stay_grounded(question, answer, source):
    result = check(question, answer, source)
    assert result["grounded"], result


@pytest.mark.parametrize("question, answer", [
    ("Who defeated the Carolina Panthers?", "the Carolina Panthers"),
    ("Which team did the Denver Broncos defeat?", "Denver Broncos"),
])
def test_an_answer_that_only_repeats_the_question_is_flagged(question, answer):
    result = check(question, answer, SUPER_BOWL)
    assert result["verdict"] == "unsupported" and codes(result) == ["repeats_question"], result
    assert result["reasons"][0]["message"] == "the answer only repeats words of the question"


@pytest.mark.parametrize("question, answer, source", [
    ("Which team won, the Denver Broncos or the Carolina Panthers?", "Denver Broncos", SUPER_BOWL),  # a choice
    ("Who won the game between the Broncos and the Panthers?", "the Broncos", SUPER_BOWL),
    ("Who defeated the Carolina Panthers?", "The Denver Broncos defeated the Carolina Panthers.", SUPER_BOWL),
    ("广茂铁路由哪家公司管理运营？", "广茂铁路由三茂铁路股份有限公司管理运营。", RAILWAY),
])
def test_an_answer_with_words_of_its_own_or_to_a_choice_stays_grounded(question, answer, source):
    assert check(question, answer, source)["grounded"]


def test_a_rewording_that_repeats_the_question_keeps_the_evidence_where_the_answer_is():
    # "是美国" also occurs later; the "是美" the rewording adds must not pull the evidence there.
    result = check("阿马里洛是哪个国家的城市？", "阿马里洛是美国的城市。", AMARILLO)
    assert result["grounded"], result
    assert "美国德克萨斯州" in result["evidence"]


def test_a_negation_in_the_sentence_before_does_not_negate_the_answer():
    result = check("许申是什么地方的人？", "许申是广东海阳人。", XU_SHEN)  # "生卒年不详。广东海阳人"
    assert result["grounded"], result
    negated = check("许申早年得到了谁的赏识？", "许申早年得到了陈尧佐的赏识，但不能文。", XU_SHEN)
    assert negated["verdict"] == "unsupported"


def test_questions_of_one_batch_answered_at_the_same_place_do_not_flag_each_other():
    # "适合怎么吃" is answered by "红烧或盐烧", the sentence before "以藻类及底栖生物为食物"; and "不错。以藻类"
    # holds no negation of the answer. Each had flagged the right answer to "吃什么".
    pairs = [{"question": q, "answer": a} for q, a in [
        ("钝头鹦嘴鱼的俗名叫什么？", "红鹦哥、红衣、青衫（雄）、红海蜇（雌）、红黑落（雌）。"),
        ("钝头鹦嘴鱼属于哪一科？", "是鹦哥鱼科。"),
        ("钝头鹦嘴鱼喜欢在什么地方生活？", "钝头鹦嘴鱼喜欢在偏爱生存于岩礁底质，尤其是圆石斜坡地方生活。"),
        ("钝头鹦嘴鱼吃什么？", "钝头鹦嘴鱼吃藻类及底栖生物。"),
        ("钝头鹦嘴鱼作为食用鱼，适合怎么吃？", "是红烧或盐烧。"),
    ]]
    assert [r["verdict"] for r in ground(pairs, PARROTFISH)] == ["grounded"] * 5


def test_verdicts_and_evidence_do_not_depend_on_string_hashing():
    script = ("from qa.grounding import ground\nfrom tests.qa.test_grounding import SUPER_BOWL\n"
              "print(ground([{'question': 'Which team did the Broncos defeat in the game played on February 7?',"
              " 'answer': 'The Broncos defeated the Carolina Panthers, led by Ron Rivera.'}], SUPER_BOWL))")
    root = Path(__file__).resolve().parents[2]
    runs = {subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1
