"""Plausible Chinese names: weighted common surnames and one- or two-character given names.

The surname list leans towards Guizhou, where Miao, Buyi and Dong families make Yang, Wu, Long,
Shi, Wei and Pan far more common than in China as a whole.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.generate.formatting import labels

_SURNAMES = {
    "王": 7.0, "李": 7.0, "张": 5.5, "刘": 5.0, "陈": 5.0, "杨": 6.5, "吴": 4.5, "罗": 3.5,
    "黄": 3.0, "赵": 2.5, "周": 2.5, "龙": 2.5, "石": 2.0, "田": 2.0, "徐": 1.5, "胡": 2.0,
    "何": 2.0, "韦": 2.0, "潘": 2.0, "袁": 1.5, "邓": 1.5, "谢": 1.5, "孙": 1.2, "蒋": 1.2,
    "彭": 1.5, "曾": 1.2, "宋": 1.2, "熊": 1.2, "朱": 1.2, "冯": 1.0, "唐": 1.2, "文": 1.0,
    "郭": 1.0, "马": 1.0, "高": 1.0, "林": 0.8, "梁": 1.0, "付": 0.8, "卢": 0.8, "肖": 0.8,
    "余": 0.8, "苏": 0.6, "蔡": 0.6, "安": 0.8, "雷": 0.6, "秦": 0.5, "姚": 0.6, "金": 0.5,
    "欧阳": 0.1, "皮": 0.2, "班": 0.2, "蒙": 0.4, "谭": 0.6, "颜": 0.3,
}  # fmt: skip
SURNAMES = tuple(_SURNAMES)
SURNAME_WEIGHTS = np.array(list(_SURNAMES.values())) / sum(_SURNAMES.values())

# Generation or leading characters, shared by both sexes.
LEADING = tuple("小永正德昌光明家世开大中晓国文天春学志建玉金红秀海云兴庭应道成")
MALE = tuple("伟强军明勇华建平志兵林成刚德海学光祥福贵富荣发才忠洪松江飞超龙涛斌鹏俊杰浩宇")
FEMALE = tuple("芳英秀兰梅丽娟珍琴艳燕霞玉凤红敏静萍花翠菊琳婷雪慧娜桂莲春妹群仙")
TWO_CHARACTER_SHARE = 0.75


def draw_surnames(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.choice(len(SURNAMES), n, p=SURNAME_WEIGHTS)


def full_names(rng: np.random.Generator, surname: np.ndarray, male: np.ndarray) -> pa.Array:
    """Names for persons with the given surname indices and sexes."""
    n = surname.size
    last = np.where(male, rng.integers(0, len(MALE), n), rng.integers(0, len(FEMALE), n))
    last_char = pc.if_else(
        pa.array(male),
        labels(MALE, np.where(male, last, 0)),
        labels(FEMALE, np.where(male, 0, last)),
    )
    leading = labels(LEADING, rng.integers(0, len(LEADING), n))
    two = rng.random(n) < TWO_CHARACTER_SHARE
    middle = pc.if_else(pa.array(two), leading, pa.scalar("", type=pa.string()))
    return pc.binary_join_element_wise(labels(SURNAMES, surname), middle, last_char, "")
