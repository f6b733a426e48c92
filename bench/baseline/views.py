"""`POST /bench/baseline/tickets/`: validate a small body, insert one row, return it (201).

Same project, middleware, authentication (token), permission (authenticated) and throttling as the
product's API; only the work behind the view is bare.
"""

from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bench.baseline.models import Ticket


class TicketSerializer(serializers.ModelSerializer):
    class Meta:
        model = Ticket
        fields = ["id", "external_id", "subject", "amount", "currency", "created_at"]
        read_only_fields = ["id", "created_at"]


class TicketCreateView(APIView):
    def post(self, request):
        data = TicketSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = Ticket.objects.create(**data.validated_data)
        return Response(TicketSerializer(ticket).data, status=status.HTTP_201_CREATED)
