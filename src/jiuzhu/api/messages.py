"""Chinese for what the framework says in English: HTTP statuses and validation errors.

FastAPI and pydantic word their refusals in English (``Not Found``, ``Input should be a valid
integer``).  Case workers read ``message_zh``: each refusal the framework makes gets Chinese
text here, by status and by pydantic error type, never a copy of the English.
"""

from __future__ import annotations

from typing import Any

STATUS_ZH: dict[int, tuple[str, str]] = {
    400: ("the request cannot be read", "请求无法解析"),
    401: ("authentication required: send a bearer token", "需要身份认证：请提供令牌"),
    403: ("permission denied", "无权访问"),
    404: (
        "no such route: check the path (the list of operations is at /docs)",
        "接口不存在，请检查路径（接口列表见 /docs）",
    ),
    405: ("this path does not take this HTTP method", "该接口不支持此 HTTP 方法"),
    406: ("the requested media type cannot be produced", "无法提供所请求的内容类型"),
    413: ("the request body is too large", "请求内容过大"),
    415: ("unsupported media type", "不支持的请求内容类型"),
    422: ("the request does not match the API", "请求内容不符合接口定义"),
}

# pydantic error type -> Chinese sentence; {…} are filled from the error's ``ctx``
_ZH: dict[str, str] = {
    "missing": "缺少必填项",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为文字",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数，不能有小数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为 JSON 对象",
    "model_attributes_type": "应为 JSON 对象",
    "literal_error": "应为以下之一：{expected}",
    "enum": "应为以下之一：{expected}",
    "greater_than_equal": "应不小于 {ge}",
    "greater_than": "应大于 {gt}",
    "less_than_equal": "应不大于 {le}",
    "less_than": "应小于 {lt}",
    "string_too_short": "至少 {min_length} 个字符",
    "string_too_long": "最多 {max_length} 个字符",
    "too_short": "至少 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "string_pattern_mismatch": "格式不正确",
    "json_invalid": "不是有效的 JSON",
    "json_type": "不是有效的 JSON",
    "uuid_parsing": "应为 UUID",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "datetime_parsing": "应为带时区的时间（如 2024-03-15T09:00+08:00）",
    "datetime_from_date_parsing": "应为带时区的时间（如 2024-03-15T09:00+08:00）",
    "union_tag_invalid": "类型不正确",
}
_WHERE_ZH = {"body": "请求体", "query": "查询参数", "path": "路径参数", "header": "请求头"}


def error_zh(error: dict[str, Any]) -> str:
    """One pydantic error in Chinese: where, then what is wrong."""
    loc = [str(part) for part in error.get("loc", ())]
    where = (_WHERE_ZH.get(loc[0], loc[0]) + (" " + ".".join(loc[1:]) if loc[1:] else "")
             if loc else "")  # fmt: skip
    template = _ZH.get(str(error.get("type")), "取值不符合接口定义")
    try:
        text = template.format(**{k: _shown(v) for k, v in (error.get("ctx") or {}).items()})
    except (KeyError, IndexError):
        text = template.split("{")[0].rstrip("：: ") or "取值不符合接口定义"
    return f"{where}：{text}" if where else text


def _shown(value: Any) -> str:
    return str(value).replace(" or ", "、").replace("'", "")


def status_text(status: int) -> tuple[str, str]:
    """(English, Chinese) for a status the framework refuses with."""
    return STATUS_ZH.get(status, (f"HTTP {status}", f"请求被拒绝（HTTP {status}）"))


__all__ = ["STATUS_ZH", "error_zh", "status_text"]
