from django.urls import path, re_path

from . import dataset_views, feeds, views
from .api import api

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search_page, name="search"),
    path("reply/<int:pk>/", views.reply_by_id, name="reply_by_id"),
    path("reply/<int:pk>/source/<int:revision>/", views.reply_source, name="reply_source"),
    # 索引号 contain slashes (11500000MB15895317/2024-00079), hence the path converter.
    path("r/<path:index_no>", views.reply_detail, name="reply"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency"),
    path("members/<int:pk>/", views.member_detail, name="member"),
    path("sessions/", views.session_list, name="session_list"),
    path("sessions/<int:pk>/", views.session_detail, name="session"),
    path("themes/", views.theme_list, name="theme_list"),
    path("themes/<int:pk>/", views.theme_detail, name="theme"),
    path("proposals/<int:pk>/", views.proposal_detail, name="proposal"),
    re_path(r"^export\.(?P<fmt>csv|jsonl)$", views.export, name="export"),
    path("feeds/search.atom", feeds.ReplyFeed(), name="search_feed"),
    path("agencies/<int:pk>/feed.atom", feeds.AgencyFeed(), name="agency_feed"),
    path("members/<int:pk>/feed.atom", feeds.MemberFeed(), name="member_feed"),
    path("themes/<int:pk>/feed.atom", feeds.ThemeFeed(), name="theme_feed"),
    path("sessions/<int:pk>/feed.atom", feeds.SessionFeed(), name="session_feed"),
    path("datasets/", dataset_views.dataset_list, name="datasets"),
    # <str:…> never matches a "/", and only listed file names are served.
    path("datasets/<str:filename>", dataset_views.dataset_file, name="dataset_file"),
    path("api/", api.urls),
]
