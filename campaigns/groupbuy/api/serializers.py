from rest_framework import serializers


class GroupBuyProductOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    image_url = serializers.CharField()
    price = serializers.IntegerField(help_text="The product's ordinary price in points.")


class GroupBuyOfferOutput(serializers.Serializer):
    id = serializers.IntegerField()
    product = GroupBuyProductOutput()
    group_size = serializers.IntegerField()
    price = serializers.IntegerField(help_text="The group price in points.")
    expires_in_hours = serializers.IntegerField(source="time_limit_hours")


class GroupBuyGroupOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    members = serializers.ListField(child=serializers.CharField(), help_text="Nicknames, in join order.")
    group_size = serializers.IntegerField()
    expires_at = serializers.DateTimeField()
    scene = serializers.CharField(help_text="The share scene: g=<id>.")
