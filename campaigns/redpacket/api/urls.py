from django.urls import path

from campaigns.redpacket.api import views

urlpatterns = [
    path("redpackets/campaigns", views.RedPacketCampaignListApi.as_view(), name="redpacket-campaigns"),
    path("redpackets/campaigns/<int:campaign_id>/start", views.RedPacketStartApi.as_view(), name="redpacket-start"),
    path("redpackets/<int:packet_id>", views.RedPacketDetailApi.as_view(), name="redpacket"),
    path("redpackets/<int:packet_id>/open", views.RedPacketOpenApi.as_view(), name="redpacket-open"),
]
