def portal(request):
    user = getattr(request, "user", None)
    return {"portal_role": getattr(user, "role", None) if user and user.is_authenticated else None}
