"""Every piece of interface text, in English and Chinese. `t(key, lang, **values)`."""

from __future__ import annotations

LANGS = ("en", "zh")

MESSAGES: dict[str, tuple[str, str]] = {
    # frame
    "app_title": ("Knowledge base", "知识库"),
    "language": ("Language", "语言"),
    "signed_in_as": ("Signed in as {user}", "当前用户：{user}"),
    "groups": ("Groups: {groups}", "所属组：{groups}"),
    "no_groups": ("no groups", "无"),
    "sign_in_needed": ("Please sign in to use the knowledge base.", "请先登录再使用知识库。"),
    "sign_in": ("Sign in", "登录"),
    "sign_out": ("Sign out", "退出登录"),
    "header_missing": (
        "No user was passed by the sign-in proxy (header {header}). Open the page through the "
        "company's proxy.",
        "登录代理没有传来用户（请求头 {header}）。请通过公司的代理访问本页面。"),
    "header_refused": (
        "The sign-in proxy's headers were refused: {why}. Ask the administrator to make the "
        "proxy replace these headers.",
        "登录代理传来的请求头被拒绝：{why}。请管理员让代理替换（而不是追加）这些请求头。"),
    "withheld": ("{n} source(s) of this answer were deleted or are no longer readable by you; "
                 "what the answer quoted from them is withheld.",
                 "此回答的 {n} 个来源已被删除或您已无权阅读；回答中引用它们的内容已隐去。"),
    "page_ask": ("Ask", "问答"),
    "page_search": ("Search", "搜索"),
    "page_library": ("Library", "文档库"),
    "page_insights": ("Insights", "统计"),
    "not_allowed": ("This page needs the {role} role.", "此页面需要“{role}”角色。"),
    # ask
    "ask_placeholder": ("Ask a question about the documents…", "就文档内容提问…"),
    "new_conversation": ("New conversation", "新对话"),
    "past_conversations": ("Past conversations", "历史对话"),
    "no_conversations": ("No conversations yet.", "还没有对话。"),
    "delete_history": ("Delete my history", "删除我的记录"),
    "history_deleted": ("Your history was deleted ({n} records).", "已删除你的记录（{n} 条）。"),
    "confirm_delete_history": ("Yes, delete all my conversations, feedback and searches",
                               "确认删除我的全部对话、反馈和搜索记录"),
    "not_found_title": ("Not found in the knowledge base", "知识库中没有找到答案"),
    "reason_not_found": (
        "The documents you may read do not contain enough evidence to answer this question.",
        "你有权阅读的文档中没有足够的依据回答这个问题。"),
    "reason_unsupported": (
        "A draft answer was found, but no sentence of it could be verified against the "
        "documents, so it is not shown.",
        "生成了草稿答案，但其中没有任何句子能在文档中得到验证，因此不予显示。"),
    "reason_no_question": ("The question is empty.", "问题为空。"),
    "reason_other": ("Reason: {reason}", "原因：{reason}"),
    "assistant_unavailable": ("The answering assistant is not available: {error}",
                              "问答助手不可用：{error}"),
    "sources": ("Sources", "来源"),
    "rewritten": ("Understood as: {q}", "理解为：{q}"),
    "feedback_comment": ("Comment (optional)", "意见（可选）"),
    "feedback_send": ("Send feedback", "提交反馈"),
    "feedback_thanks": ("Thank you for the feedback.", "感谢反馈。"),
    "thinking": ("Searching the documents…", "正在检索文档…"),
    # passages and previews
    "passage_title": ("Source [{n}]", "来源 [{n}]"),
    "page_n": ("page {page}", "第 {page} 页"),
    "download_original": ("Download the original", "下载原文件"),
    "original_missing": ("The original file is no longer on disk.", "原文件已不在磁盘上。"),
    "no_access": ("You may not read this document.", "你无权阅读此文档。"),
    "close": ("Close", "关闭"),
    # search
    "search_box": ("Search", "搜索"),
    "search_placeholder": ("e.g. annual leave days / 报销期限", "例如：年假有几天 / expense deadline"),
    "filters": ("Filters", "筛选"),
    "filter_folder": ("Folder", "文件夹"),
    "filter_type": ("File type", "文件类型"),
    "filter_lang": ("Language", "语言"),
    "filter_modified": ("Modified between", "修改时间"),
    "docs_searchable": ("{n} documents searchable", "可检索文档 {n} 篇"),
    "no_results": ("No results in the knowledge base.", "知识库中没有找到结果。"),
    "preview": ("Preview", "预览"),
    "lang_zh": ("Chinese", "中文"),
    "lang_en": ("English", "英文"),
    "lang_other": ("Other", "其他"),
    # library
    "roots": ("Ingested folders", "已导入的文件夹"),
    "no_roots": ("Nothing is ingested yet. Run `kb ingest FOLDER` once to add a folder.",
                 "还没有导入任何文件夹。请先运行一次 `kb ingest 文件夹`。"),
    "col_path": ("File", "文件"),
    "col_status": ("Status", "状态"),
    "col_chunks": ("Chunks", "分块数"),
    "col_ingested": ("Last ingest", "最近导入"),
    "col_error": ("Problem", "问题"),
    "col_groups": ("Groups", "可读组"),
    "col_folder": ("Folder", "文件夹"),
    "status_searchable": ("searchable", "可检索"),
    "status_failed": ("failed", "失败"),
    "status_encrypted": ("encrypted", "已加密"),
    "status_pending": ("pending", "处理中"),
    "reingest": ("Re-ingest this folder", "重新导入此文件夹"),
    "reingest_running": ("Ingesting {path}", "正在导入 {path}"),
    "reingest_done": (
        "Done in {seconds:.1f} s: {added} added, {updated} updated, {unchanged} unchanged, "
        "{deleted} deleted, {failed} failed, {chunks} chunks written.",
        "完成，用时 {seconds:.1f} 秒：新增 {added}，更新 {updated}，未变 {unchanged}，删除 "
        "{deleted}，失败 {failed}，写入 {chunks} 个分块。"),
    "relabel_item": ("{path} ({old} → {new})", "{path}（{old} → {new}）"),
    "ingest_busy": ("Another ingest is running; try again when it finishes.",
                    "另一个导入正在进行，请稍后再试。"),
    "upload": ("Upload files into this folder", "上传文件到此文件夹"),
    "upload_subfolder": ("Sub-folder (optional)", "子文件夹（可选）"),
    "upload_button": ("Upload and ingest", "上传并导入"),
    "upload_bad_folder": ("The sub-folder must stay inside the ingested folder and name no "
                          "access rule file.",
                          "子文件夹必须位于已导入的文件夹之内，且不能是访问规则文件名。"),
    "upload_refused": ("{name} was not uploaded: {why}", "{name} 未上传：{why}"),
    "up_bad_name": ("the name is not a plain file name (no folders, no control characters).",
                    "文件名无效（不能包含文件夹或控制字符）。"),
    "up_name_too_long": ("the name is longer than 255 bytes.", "文件名超过 255 字节。"),
    "up_rule_file": ("access rule files cannot be uploaded; an administrator changes them on "
                     "the server.", "不能上传访问规则文件；规则只能由管理员在服务器上修改。"),
    "up_not_a_file": ("a folder or link of that name is in the way.",
                      "已有同名的文件夹或链接。"),
    "up_write_failed": ("the file could not be written.", "文件无法写入。"),
    "up_unknown_root": ("that folder is not ingested.", "该文件夹尚未导入。"),
    "relabeled": ("Access changed for {n} document(s): {items}", "{n} 个文档的访问权限已改变：{items}"),
    "remove": ("Remove a document", "删除文档"),
    "remove_pick": ("Document", "文档"),
    "remove_file_too": ("Also delete the file from disk (otherwise the next re-ingest adds it "
                        "back)", "同时从磁盘删除文件（否则下次重新导入会再次加入）"),
    "remove_button": ("Remove", "删除"),
    "removed": ("Removed {path}.", "已删除 {path}。"),
    "folder_groups": ("Who can read each folder", "各文件夹的可读组"),
    "everyone": ("everyone", "所有人"),
    # errors in plain words, by the ingest error code
    "err_encrypted": ("The file is password-protected and no password configured for it worked.",
                      "文件有密码保护，配置的密码都无法打开。"),
    "err_corrupt": ("The file is damaged and could not be read.", "文件已损坏，无法读取。"),
    "err_unsupported": ("This kind of file is not supported.", "不支持此类文件。"),
    "err_too_large": ("The file is larger than the configured limit.", "文件超过了设定的大小上限。"),
    "err_timeout": ("Reading the file took too long and was stopped.", "读取文件耗时过长，已中止。"),
    "err_empty": ("The file contains no text.", "文件中没有文字。"),
    "err_ocr_failed": ("The scanned pages could not be read by OCR.", "扫描页面无法通过 OCR 识别。"),
    "err_unreadable": ("The file could not be opened (permissions?).", "无法打开文件（权限问题？）。"),
    "err_vanished": ("The file disappeared while it was being read.", "读取时文件已消失。"),
    # insights
    "questions_per_day": ("Questions per day", "每日提问数"),
    "searches_per_day": ("Searches per day", "每日搜索数"),
    "questions_total": ("Questions", "提问"),
    "refusal_rate": ("Refusal rate", "拒答率"),
    "most_refused": ("Most often refused questions (knowledge gaps)", "最常被拒答的问题（知识缺口）"),
    "feedback": ("Feedback", "反馈"),
    "thumbs_up": ("Helpful", "有帮助"),
    "thumbs_down": ("Not helpful", "没帮助"),
    "most_cited": ("Most cited documents", "被引用最多的文档"),
    "ingest_history": ("Ingest history", "导入历史"),
    "period_days": ("Period (days)", "统计周期（天）"),
    "col_question": ("Question", "问题"),
    "col_count": ("Times", "次数"),
    "col_comment": ("Comment", "意见"),
    "col_rating": ("Rating", "评价"),
    "col_root": ("Folder", "文件夹"),
    "col_finished": ("Finished", "完成时间"),
    "col_added": ("Added", "新增"),
    "col_updated": ("Updated", "更新"),
    "col_deleted": ("Deleted", "删除"),
    "col_failed": ("Failed", "失败"),
    "col_seconds": ("Seconds", "秒"),
    "nothing_yet": ("Nothing recorded yet.", "暂无记录。"),
}


def t(key: str, lang: str, **values: object) -> str:
    en, zh = MESSAGES[key]
    text = zh if lang == "zh" else en
    return text.format(**values) if values else text


def error_words(code: str, fallback: str, lang: str) -> str:
    """A failed file's problem in plain words; the loader's own sentence for unknown codes."""
    key = f"err_{code}"
    return t(key, lang) if key in MESSAGES else fallback
