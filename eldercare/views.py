from django.shortcuts import render

from dalian_minzheng.accounts.policy import access


@access()
def index(request):
    # The eldercare register arrives with its own issue; until then the page says so instead of pretending.
    return render(request, "eldercare/index.html")
