from backoffice.roles import primary_role


def roles(request):
    user = getattr(request, "user", None)
    return {"user_role": primary_role(user)}
