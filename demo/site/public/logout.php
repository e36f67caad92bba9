<?php
/*
 * logout.php (POST) - "log out everywhere": revokes every session of the
 * user in the database, then clears the cookie.
 */
declare(strict_types=1);
require __DIR__ . '/../lib.php';

if ($_SERVER['REQUEST_METHOD'] !== 'POST') {
    header('Allow: POST');
    http_response_code(405);
    exit;
}
demo_logout(demo_current_user());
header('Location: /login.php', true, 303);
