"""The ``message`` of each Payme error, in Russian, Uzbek and English, as Payme's cabinet shows it
to the payer; ``payments.protocols.payme`` names them by key."""

MESSAGES: dict[str, dict[str, str]] = {
    "not_post": {
        "ru": "Метод запроса должен быть POST",
        "uz": "So'rov usuli POST bo'lishi kerak",
        "en": "The request method must be POST",
    },
    "parse_error": {
        "ru": "Ошибка разбора JSON",
        "uz": "JSON tahlilida xatolik",
        "en": "JSON parse error",
    },
    "invalid_request": {
        "ru": "Неверный запрос: поля RPC отсутствуют или неверного типа",
        "uz": "Noto'g'ri so'rov: RPC maydonlari yo'q yoki turi noto'g'ri",
        "en": "Invalid request: RPC fields are missing or ill-typed",
    },
    "method_not_found": {
        "ru": "Метод не найден",
        "uz": "Usul topilmadi",
        "en": "Method not found",
    },
    "insufficient_privilege": {
        "ru": "Недостаточно привилегий для выполнения метода",
        "uz": "Usulni bajarish uchun huquq yetarli emas",
        "en": "Insufficient privilege to perform this method",
    },
    "internal_error": {
        "ru": "Системная ошибка",
        "uz": "Tizim xatosi",
        "en": "Internal error",
    },
    "inactive": {
        "ru": "Приём платежей временно отключён",
        "uz": "To'lovlarni qabul qilish vaqtincha o'chirilgan",
        "en": "Payments are temporarily switched off for this merchant",
    },
    "wrong_amount": {
        "ru": "Неверная сумма",
        "uz": "Noto'g'ri summa",
        "en": "Wrong amount",
    },
    "transaction_not_found": {
        "ru": "Транзакция не найдена",
        "uz": "Tranzaksiya topilmadi",
        "en": "Transaction not found",
    },
    "cannot_cancel": {
        "ru": "Невозможно отменить транзакцию: товар или услуга уже предоставлены",
        "uz": "Tranzaksiyani bekor qilib bo'lmaydi: tovar yoki xizmat taqdim etilgan",
        "en": "The transaction cannot be cancelled: the goods or service were delivered",
    },
    "other_transaction": {
        "ru": "Для этого заказа уже есть другая активная или завершённая транзакция",
        "uz": "Bu buyurtma uchun boshqa faol yoki yakunlangan tranzaksiya mavjud",
        "en": "Another active or completed transaction exists for this order",
    },
    "not_active": {
        "ru": "Операция невозможна в текущем состоянии транзакции",
        "uz": "Tranzaksiyaning joriy holatida amalni bajarib bo'lmaydi",
        "en": "The operation is not allowed in the transaction's state",
    },
    "timeout": {
        "ru": "Транзакция отменена: истекло время ожидания (12 часов)",
        "uz": "Tranzaksiya bekor qilindi: kutish vaqti tugadi (12 soat)",
        "en": "The transaction was cancelled: it timed out (12 hours)",
    },
    "account_not_found": {
        "ru": "Заказ не найден",
        "uz": "Buyurtma topilmadi",
        "en": "Order not found",
    },
    "account_not_payable": {
        "ru": "Заказ не может быть оплачен: он оплачен, возвращён или отменён",
        "uz": "Buyurtmani to'lab bo'lmaydi: u to'langan, qaytarilgan yoki bekor qilingan",
        "en": "The order cannot be paid: it is paid, refunded or cancelled",
    },
    "account_expired": {
        "ru": "Срок оплаты заказа истёк",
        "uz": "Buyurtmani to'lash muddati tugagan",
        "en": "The order's payment period has expired",
    },
    "receipt_not_found": {
        "ru": "Чек не найден",
        "uz": "Chek topilmadi",
        "en": "Receipt not found",
    },
    "invalid_params": {
        "ru": "Неверные параметры",
        "uz": "Noto'g'ri parametrlar",
        "en": "Invalid params",
    },
}
