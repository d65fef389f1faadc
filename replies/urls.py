from django.urls import path

from . import dataset_views, views
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
    path("datasets/", dataset_views.dataset_list, name="datasets"),
    # <str:…> never matches a "/", and only listed file names are served.
    path("datasets/<str:filename>", dataset_views.dataset_file, name="dataset_file"),
    path("api/", api.urls),
]
