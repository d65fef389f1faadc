"""Small synthetic replies in the shapes real pages take, shared by the unit tests."""

from __future__ import annotations

CO_HANDLING_HTML = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gbk">
<title>重庆市财政局关于市政协六届二次会议第0123号提案的协办意见_重庆市财政局</title>
<meta name="ArticleTitle" content="重庆市财政局关于市政协六届二次会议第0123号提案的协办意见">
<meta name="PubDate" content="2024-06-01 10:00">
<meta name="ContentSource" content="市财政局">
</head><body>
<div class="top">您现在的位置：<a href="/">首页</a> &gt; 政务公开 &gt; 提案办理</div>
<div class="w1"><div class="w2"><div class="w3">
<h1>重庆市财政局关于市政协六届二次会议第0123号提案的协办意见</h1>
<div class="txt">
<p>市交通运输委：</p>
<p>&nbsp;&nbsp;张伟、刘芳、陈明委员提出的《关于优化主城区公交线路的提案》（第0123号）收悉。现将我局协办意见函告如下：</p>
<p>一、资金保障情况。2023年市级财政安排公交运营补贴12亿元，支持线网优化。</p>
<p>二、下一步工作打算</p>
<p>下一步，我局将积极配合贵委做好以下工作：一是加大资金投入；二是强化绩效管理；三是加强监督检查。</p>
<p>此复。</p>
<p style="text-align:right">重庆市财政局</p>
<p style="text-align:right">二〇二四年五月三十日</p>
<p>（联系人：王五，电话：023-00000000）</p>
</div></div></div></div>
<div class="foot">版权所有：重庆市财政局 渝ICP备00000000号-1</div>
</body></html>
"""

WRAPPED_TEXT = """当前位置：首页 > 政府信息公开 > 建议提案办理

区十八届人大三次会议第45号建议答复的函

索引号：008123456/2023-01234
文  号：某区教委函〔2023〕9号
发布机构：区教委
成文日期：二〇二三年九月五日
发布日期：2023年09月08日

张伟、刘芳、陈明代表:

    你们提出的《关于加快建设城南片区中小学校的建议》(第45号)收悉。我委会同区发
展改革委、区财政局和区规划自然资源局认真研究,现答复如下:
    一、学校建设情况
    近年来,我区新建改扩建中小学校12所,新增学位1.5万个,有效缓解了城南片区的学位
紧张问题。
    二、下一步工作
    1.加快项目建设。确保城南第二小学于2024年秋季投用。
    2.优化学位供给。
    通过集团化办学扩大优质学位供给,落实《义务教育学校管理标准》(教基〔2017〕9号)。
    感谢你们对教育工作的关心。
    签发人:赵六

某区教育委员会
2023年9月5日

打印本页 关闭窗口
"""
