"""Regenerate the binary sample documents (PDF, DOCX). Run from the repository root:

    python data/make_samples.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.core.testing.docgen import write_docx, write_pdf  # noqa: E402

SAMPLES = ROOT / "data" / "samples"


def main() -> None:
    write_pdf(SAMPLES / "en" / "expenses_policy.pdf", [
        [
            "Travel and Expenses Policy",
            "",
            "1. Scope",
            "This policy covers business travel and expenses paid by employees on behalf of the company.",
            "",
            "2. Submitting claims",
            "Expense claims must be submitted in the finance portal within 30 days of the expense.",
            "Every item above 25 EUR needs an itemised receipt. Claims are reimbursed with the next payroll.",
            "",
            "3. Approval",
            "Claims up to 500 EUR are approved by the line manager. Claims above 500 EUR also need",
            "approval by the finance department.",
        ],
        [
            "4. Travel",
            "Book flights and hotels through the company travel desk. Economy class is standard for",
            "flights shorter than 6 hours; business class may be booked for longer flights.",
            "Hotel costs are covered up to 150 EUR per night, or 220 EUR per night in capital cities.",
            "",
            "5. Meals and per diem",
            "The daily meal allowance (per diem) is 45 EUR for domestic trips and 60 EUR abroad.",
            "Alcohol is not reimbursed. Client entertainment requires prior approval by a director.",
        ],
    ], title="Travel and Expenses Policy")
    write_docx(SAMPLES / "zh" / "报销制度.docx", [
        ("h1", "差旅及费用报销制度"),
        ("h2", "一、报销时限"),
        ("p", "员工应在费用发生后30日内通过财务系统提交报销申请，逾期未提交的原则上不予报销。"),
        ("p", "单笔金额超过100元的费用须提供正规发票。报销款项随下一次工资一并发放。"),
        ("h2", "二、审批权限"),
        ("p", "单笔报销金额在5000元以下的，由部门负责人审批；超过5000元的，还须经财务总监审批。"),
        ("h2", "三、差旅标准"),
        ("table", [
            ["项目", "一线城市", "其他城市"],
            ["住宿（每晚）", "600元", "400元"],
            ["伙食补助（每天）", "100元", "80元"],
        ]),
        ("p", "国内出差原则上乘坐高铁二等座或飞机经济舱。"),
    ], title="差旅及费用报销制度")


if __name__ == "__main__":
    main()
